"""Run the proxy-credentials custom resource handler against local servers, with the real Python.

A TLS server on 127.0.0.1 plays the Kubernetes API server (self-signed certificate whose CA the handler
must use), a plain HTTP server plays CloudFormation's presigned S3 response URL. boto3/botocore are
replaced by stand-ins that return what Secrets Manager and the STS signer would. Prints one JSON object:
the requests each server saw.

usage: proxy-secret-harness.py HANDLER_DIR STUB_DIR CERT KEY REQUEST_TYPE K8S_STATUS
"""
import base64
import http.server
import json
import ssl
import sys
import threading

handler_dir, stub_dir, cert, key, request_type, k8s_status = sys.argv[1:7]
sys.path[:0] = [stub_dir, handler_dir]
seen = {"kube": [], "response": []}


class Kube(http.server.BaseHTTPRequestHandler):
    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        seen["kube"].append({"method": self.command, "path": self.path,
                             "authorization": self.headers.get("Authorization", ""),
                             "body": json.loads(body) if body else None})
        # First PUT of a new Secret: 404, so the handler must POST it.
        status = int(k8s_status)
        if status == 200 and self.command == "PUT" and len(seen["kube"]) == 1:
            status = 404
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_PUT = do_POST = do_DELETE = _handle

    def log_message(self, *args):
        pass


class Response(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        length = int(self.headers.get("Content-Length") or 0)
        seen["response"].append(json.loads(self.rfile.read(length).decode()))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


kube = http.server.HTTPServer(("127.0.0.1", 0), Kube)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
kube.socket = context.wrap_socket(kube.socket, server_side=True)
response = http.server.HTTPServer(("127.0.0.1", 0), Response)
for server in (kube, response):
    threading.Thread(target=server.serve_forever, daemon=True).start()

import index  # noqa: E402  the handler under test

event = {
    "RequestType": request_type,
    "ResponseURL": f"http://127.0.0.1:{response.server_address[1]}/cfn-response",
    "StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/Test/1",
    "RequestId": "req-1",
    "LogicalResourceId": "ProxyCredentials",
    "PhysicalResourceId": "kube-system/proxy-environment-credentials",
    "ResourceProperties": {
        "ClusterName": "private-cluster",
        "Endpoint": f"https://127.0.0.1:{kube.server_address[1]}",
        "CertificateAuthority": base64.b64encode(open(cert, "rb").read()).decode(),
        "SecretArn": "arn:aws:secretsmanager:us-east-1:111122223333:secret:corp/proxy-AbCdEf",
        "UsernameKey": "username",
        "PasswordKey": "password",
        "HttpProxy": "http://proxy.corp.example:3128",
        "HttpsProxy": "http://proxy.corp.example:3128",
        "Namespace": "kube-system",
        "Name": "proxy-environment-credentials",
    },
}
index.handler(event, None)
kube.shutdown()
response.shutdown()
print(json.dumps(seen))
