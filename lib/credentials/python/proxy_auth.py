"""The proxy variables and the URL rewriting shared by both Lambda assets of cdk-private-eks.

The kubectl handler's exec wrapper (proxy-credentials-wrapper) and the Kubernetes Secret writer
(secret_writer.py) each get a copy of this one file in their asset, made at synth time
(lib/credentials/assets.ts). Standard library only.
"""
import urllib.parse

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")


def encoded_auth(values, username_key, password_key):
    """`user:password` from the secret's JSON object, each part URL-encoded (no character kept)."""
    return (urllib.parse.quote(values[username_key], safe="") + ":"
            + urllib.parse.quote(values[password_key], safe=""))


def with_credentials(url, auth):
    """http://host:port -> http://user:password@host:port; a URL that has credentials (or no scheme) is kept."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" in rest.split("/", 1)[0]:
        return url
    return f"{scheme}://{auth}@{rest}"
