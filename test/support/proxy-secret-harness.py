"""Run the proxy-credentials custom resource handler against local servers, with the real Python.

A TLS server on 127.0.0.1 plays the Kubernetes API server (self-signed certificate whose CA the handler
must use), a second one plays a foreign host that an invoker would like the token and the credentials
sent to, and a plain HTTP server plays CloudFormation's presigned S3 response URL. boto3/botocore are
replaced by stand-ins that return what Secrets Manager and the STS signer would. Prints one JSON object:
the requests each server saw.

CONFIG is JSON: {"environment": the function's variables, "properties": the event's ResourceProperties}.
In both, the strings @KUBE_ENDPOINT@ and @KUBE_CA@ become the stub API server's URL and CA (base64 PEM),
@FOREIGN_ENDPOINT@ and @FOREIGN_CA@ the foreign server's.

usage: proxy-secret-harness.py HANDLER_DIR STUB_DIR CERT KEY REQUEST_TYPE K8S_STATUS CONFIG
"""
import base64
import http.server
import json
import os
import ssl
import sys
import threading

handler_dir, stub_dir, cert, key, request_type, k8s_status, config = sys.argv[1:8]
config = json.loads(config)
sys.path[:0] = [stub_dir, handler_dir]
seen = {"kube": [], "foreign": [], "response": []}


class Kube(http.server.BaseHTTPRequestHandler):
    log = "kube"

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        seen[self.log].append({"method": self.command, "path": self.path,
                               "authorization": self.headers.get("Authorization", ""),
                               "body": json.loads(body) if body else None})
        # First PUT of a new Secret: 404, so the handler must POST it.
        status = int(k8s_status)
        if status == 200 and self.command == "PUT" and len(seen[self.log]) == 1:
            status = 404
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _handle

    def log_message(self, *args):
        pass


class Foreign(Kube):
    log = "foreign"


class Response(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        length = int(self.headers.get("Content-Length") or 0)
        seen["response"].append(json.loads(self.rfile.read(length).decode()))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def tls_server(handler):
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return server


# Both TLS servers present the same certificate: a handler that took the foreign endpoint would reach it
# whichever CA it trusted, so the foreign server's log shows any such call.
kube = tls_server(Kube)
foreign = tls_server(Foreign)
response = http.server.HTTPServer(("127.0.0.1", 0), Response)
# A short poll interval: shutdown() waits for the loop to notice (half a second each at the default).
for server in (kube, foreign, response):
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

ca = base64.b64encode(open(cert, "rb").read()).decode()
values = {"@KUBE_ENDPOINT@": f"https://127.0.0.1:{kube.server_address[1]}", "@KUBE_CA@": ca,
          "@FOREIGN_ENDPOINT@": f"https://127.0.0.1:{foreign.server_address[1]}", "@FOREIGN_CA@": ca}


def filled(value):
    if isinstance(value, dict):
        return {k: filled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [filled(v) for v in value]
    return values.get(value, value) if isinstance(value, str) else value


os.environ.update(filled(config["environment"]))

import index  # noqa: E402  the handler under test

event = {
    "RequestType": request_type,
    "ResponseURL": f"http://127.0.0.1:{response.server_address[1]}/cfn-response",
    "StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/Test/1",
    "RequestId": "req-1",
    "LogicalResourceId": "ProxyCredentials",
    "PhysicalResourceId": "kube-system/proxy-environment-credentials",
    "ResourceProperties": filled(config["properties"]),
}
index.handler(event, None)
for server in (kube, foreign, response):
    server.shutdown()
print(json.dumps(seen))
