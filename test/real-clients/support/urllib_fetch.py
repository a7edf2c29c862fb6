"""GETs each URL with Python's urllib, configured only by the process environment (the proxy
variables; SSL_CERT_FILE for the test CA). Prints one JSON line per URL: {"url", "status", "body", "error"}.
"""
import json
import sys
import urllib.error
import urllib.request


def main():
    for url in sys.argv[1:]:
        entry = {"url": url, "status": 0, "body": "", "error": ""}
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                entry["status"] = resp.status
                entry["body"] = resp.read(4096).decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            entry["status"] = e.code
            entry["error"] = str(e)
        except Exception as e:  # noqa: BLE001 - every failure is a result here
            entry["error"] = "%s: %s" % (type(e).__name__, e)
        print(json.dumps(entry), flush=True)


if __name__ == "__main__":
    main()
