"""Asks Python's urllib what it does with the proxy environment of this process.

For each URL on the command line, prints one JSON line {"url", "proxy"}: the proxy urllib's
ProxyHandler would use, or "" for a direct connection. The decision is the one
urllib.request.ProxyHandler.proxy_open makes: getproxies() (the environment, since
getproxies_environment() is non-empty) for the URL's scheme, unless proxy_bypass(host) -- which is
proxy_bypass_environment(host, proxies) when proxies come from the environment -- says to bypass.
"""
import json
import sys
import urllib.request


def main():
    proxies = urllib.request.getproxies()
    env_proxies = urllib.request.getproxies_environment()
    for url in sys.argv[1:]:
        req = urllib.request.Request(url)
        proxy = proxies.get(req.type)
        if proxy and req.host and urllib.request.proxy_bypass_environment(req.host, env_proxies):
            proxy = None
        print(json.dumps({"url": url, "proxy": proxy or ""}))


if __name__ == "__main__":
    main()
