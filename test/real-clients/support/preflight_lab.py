"""Run the preflight handler (lib/preflight/python/preflight.py, as staged) case by case against loopback
stand-ins, inside a network namespace made by preflight-sandbox.sh (which also maps the host names in a
private /etc/hosts):

- 10.99.0.10:443 and 10.99.0.30:443 accept TCP connections (an interface endpoint, the S3 gateway route);
  10.99.0.11 and 10.99.0.31 have nothing listening;
- proxies on 10.99.0.20: 3128 answers CONNECT with 200 only with the right Proxy-Authorization (407
  otherwise), 3129 answers 403; nothing listens on 10.99.0.21:3128;
- 127.0.0.1:8080 stands for CloudFormation's presigned response URL and records each PUT.

usage: preflight_lab.py HANDLER_DIR STUB_DIR WORK
WORK/cases.json: [{"name", "environment", "requestType"}]; output WORK/results.json:
{name: {"response": the PUT body, "seconds": the handler's run time, "stdout": what it printed}}.
"""
import contextlib
import importlib
import io
import json
import os
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

handler_dir, stub_dir, work = sys.argv[1:4]
sys.path[:0] = [stub_dir, handler_dir]
EXPECTED_AUTH = os.environ["LAB_PROXY_AUTHORIZATION"]
responses = {}


class Accept(socketserver.BaseRequestHandler):
    def handle(self):
        pass


class Proxy(socketserver.StreamRequestHandler):
    status = 200

    def handle(self):
        lines = []
        while True:
            line = self.rfile.readline(1000).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            lines.append(line.strip())
        auth = next((l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("proxy-authorization:")), None)
        status = self.status
        if status == 200 and auth != EXPECTED_AUTH:
            status = 407
        self.wfile.write(f"HTTP/1.1 {status} Lab\r\nContent-Length: 0\r\n\r\n".encode())


class Forbidding(Proxy):
    status = 403


class Response(BaseHTTPRequestHandler):
    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        responses[self.path.strip("/")] = json.loads(body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()


for address in ("10.99.0.10", "10.99.0.30"):
    serve(Server((address, 443), Accept))
serve(Server(("10.99.0.20", 3128), Proxy))
serve(Server(("10.99.0.20", 3129), Forbidding))
serve(ThreadingHTTPServer(("127.0.0.1", 8080), Response))

index = importlib.import_module("index")
results = {}
baseline = dict(os.environ)
for case in json.load(open(os.path.join(work, "cases.json"))):
    os.environ.clear()
    os.environ.update({k: v for k, v in baseline.items() if not k.startswith("LAB_")})
    os.environ.update(case["environment"])
    event = {"RequestType": case["requestType"], "ResponseURL": f"http://127.0.0.1:8080/{case['name']}",
             "StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1", "RequestId": case["name"],
             "LogicalResourceId": "Preflight", "ResourceProperties": {"ServiceToken": "x"}}
    out = io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stdout(out):
        index.handler(event, None)
    results[case["name"]] = {"response": responses.get(case["name"]), "seconds": time.monotonic() - start,
                             "stdout": out.getvalue()}
json.dump(results, open(os.path.join(work, "results.json"), "w"), indent=1)
