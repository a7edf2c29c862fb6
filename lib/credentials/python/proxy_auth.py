"""The proxy variables and the URL rewriting shared by both Lambda assets of cdk-private-eks.

The kubectl handler's exec wrapper (proxy-credentials-wrapper) and the Kubernetes Secret writer
(secret_writer.py) each get a copy of this one file in their asset, made at synth time
(lib/credentials/assets.ts). Standard library only.
"""
import urllib.parse

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")

# botocore.config.Config(**AWS_CLIENT_CONFIG) for every AWS call of both assets: at most two attempts of
# 3 s to connect and 5 s to read, well below what waits on them (the exec wrapper runs in Lambda's 10 s
# init phase; the Secret writer must still answer CloudFormation within its 2-minute timeout). botocore's
# defaults (60 s connect, 60 s read, retries) would outlast both.
AWS_CLIENT_CONFIG = {"connect_timeout": 3, "read_timeout": 5, "retries": {"max_attempts": 2, "mode": "standard"}}

# Seconds for each HTTPS call of the Secret writer (the Kubernetes API, CloudFormation's response URL).
HTTP_TIMEOUT_SECONDS = 10


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
