"""Small recording servers for the real-client tests. Stdlib only; run inside private network
namespaces, so they only ever listen on (and answer) namespace-local addresses.

  stubs.py imds     --bind 169.254.169.254 --port 80  --log FILE --ready FILE [--region R]
      IMDSv2: PUT /latest/api/token issues a token; GETs need it (401 otherwise).
  stubs.py proxy    --bind 127.0.0.1 --port 3128 --log FILE --ready FILE
      A recording forward proxy: logs the request line (GET http://... or CONNECT host:443) and
      answers 502 without connecting anywhere.
  stubs.py upstream --bind 0.0.0.0 --http-port 80 --https-port 443 --cert C --key K --log FILE --ready FILE
      An origin server on every namespace-local address: 200 'upstream-ok <host>' and a log line.
  stubs.py healthz  --bind 127.0.0.1 --port 10248 --log FILE --ready FILE
      kubelet's health endpoint: GET /healthz answers 200 'ok' (404 otherwise), one log line a request.

  stubs.py apiserver --bind ADDR --port 443 --cert C --key K --token T --node NAME --ready-after N --log FILE --ready FILE
      A Kubernetes API server for one node, over HTTPS: POST .../v1/selfsubjectreviews answers 201
      with the user system:node:NAME, GET /api/v1/nodes/NAME the Node with Ready=False for the first N
      GETs and Ready=True after; both only with 'Authorization: Bearer T' (401 otherwise), 404 for
      anything else. One log line a request (method, path, whether the token was right).

Every log line is one JSON object. Servers stop after --lifetime seconds (default 300) at the latest.

Several servers run in one process when their specs are joined by `+` (each with its own --ready file; the
process stops after the longest --lifetime), e.g.
  stubs.py healthz --bind 127.0.0.1 --port 10248 --log L1 --ready R1 + proxy --bind 127.0.0.1 --port 3128 --log L2 --ready R2
One Python start (about 90 ms of CPU here, most of it imports) instead of one a server.
"""
import argparse
import json
import os
import socket
import socketserver
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


def record(path, entry):
    entry["time"] = time.time()
    with LOCK, open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


def ready(path, what):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(what + "\n")
    os.replace(path + ".tmp", path)


def stop_after(seconds):
    def killer():
        time.sleep(seconds)
        os._exit(0)
    threading.Thread(target=killer, daemon=True).start()


class Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10

    def log_message(self, *_args):
        pass

    def reply(self, code, body=b"", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True


def imds(args):
    tokens = set()
    meta = {
        "/latest/meta-data/instance-id": "i-0123456789abcdef0",
        "/latest/meta-data/local-ipv4": "10.0.1.23",
        "/latest/meta-data/local-hostname": "ip-10-0-1-23.ec2.internal",
        "/latest/meta-data/placement/region": args.region,
        "/latest/meta-data/placement/availability-zone": args.region + "a",
        "/latest/meta-data/mac": "0e:00:00:00:00:01",
    }

    class H(Quiet):
        def do_PUT(self):
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            ok = self.path == "/latest/api/token" and ttl is not None
            record(args.log, {"method": "PUT", "path": self.path, "ttl": ttl, "ok": ok})
            if not ok:
                return self.reply(400)
            token = uuid.uuid4().hex
            tokens.add(token)
            return self.reply(200, token.encode(), {"X-aws-ec2-metadata-token-ttl-seconds": ttl})

        def do_GET(self):
            token = self.headers.get("X-aws-ec2-metadata-token")
            ok = token in tokens
            record(args.log, {"method": "GET", "path": self.path, "tokenValid": ok})
            if not ok:
                return self.reply(401)
            if self.path in meta:
                return self.reply(200, meta[self.path].encode())
            return self.reply(404)

    server = ThreadingHTTPServer((args.bind, args.port), H)
    ready(args.ready, "imds")
    server.serve_forever()


def proxy(args):
    class H(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.settimeout(5)
            data = b""
            try:
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except socket.timeout:
                pass
            head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
            lines = head.split("\r\n")
            parts = lines[0].split(" ")
            host = next((l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("host:")), None)
            record(args.log, {
                "method": parts[0] if parts else "",
                "target": parts[1] if len(parts) > 1 else "",
                "host": host,
            })
            try:
                self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass

    class S(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    server = S((args.bind, args.port), H)
    ready(args.ready, "proxy")
    server.serve_forever()


def upstream(args):
    class H(Quiet):
        def handle_any(self):
            host = self.headers.get("Host", "")
            local = self.connection.getsockname()[0]
            record(args.log, {
                "scheme": self.server.scheme, "method": self.command, "host": host,
                "path": self.path, "local": local, "peer": self.client_address[0],
            })
            return self.reply(200, ("upstream-ok %s\n" % host).encode(), {"Content-Type": "text/plain"})

        do_GET = handle_any
        do_HEAD = handle_any

    servers = []
    http = ThreadingHTTPServer((args.bind, args.http_port), H)
    http.scheme = "http"
    servers.append(http)
    if args.https_port:
        https = ThreadingHTTPServer((args.bind, args.https_port), H)
        https.scheme = "https"
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        https.socket = ctx.wrap_socket(https.socket, server_side=True)
        servers.append(https)
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    ready(args.ready, "upstream")
    servers[0].serve_forever()


def healthz(args):
    class H(Quiet):
        def do_GET(self):
            record(args.log, {"method": "GET", "path": self.path, "host": self.headers.get("Host", "")})
            if self.path == "/healthz":
                return self.reply(200, b"ok", {"Content-Type": "text/plain"})
            return self.reply(404)

    server = ThreadingHTTPServer((args.bind, args.port), H)
    ready(args.ready, "healthz")
    server.serve_forever()


def apiserver(args):
    gets = {"n": 0}

    class H(Quiet):
        def answer(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            authorized = self.headers.get("Authorization") == "Bearer " + args.token
            record(args.log, {"method": self.command, "path": self.path, "authorized": authorized,
                              "body": body.decode("utf-8", "replace")})
            if not authorized:
                return self.reply(401, b'{"kind":"Status","code":401}')
            if self.command == "POST" and self.path == "/apis/authentication.k8s.io/v1/selfsubjectreviews":
                review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview",
                          "status": {"userInfo": {"username": "system:node:" + args.node,
                                                  "groups": ["system:nodes", "system:authenticated"]}}}
                return self.reply(201, json.dumps(review).encode(), {"Content-Type": "application/json"})
            if self.command == "GET" and self.path == "/api/v1/nodes/" + args.node:
                gets["n"] += 1
                status = "True" if gets["n"] > args.ready_after else "False"
                node = {"kind": "Node", "metadata": {"name": args.node},
                        "status": {"conditions": [{"type": "MemoryPressure", "status": "False"},
                                                  {"type": "Ready", "status": status}]}}
                return self.reply(200, json.dumps(node).encode(), {"Content-Type": "application/json"})
            return self.reply(404, b'{"kind":"Status","code":404}')

        do_GET = answer
        do_POST = answer

    server = ThreadingHTTPServer((args.bind, args.port), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    ready(args.ready, "apiserver")
    server.serve_forever()


def parser():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=sorted(SERVERS))
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--http-port", type=int, default=80)
    p.add_argument("--https-port", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--log", required=True)
    p.add_argument("--ready", required=True)
    p.add_argument("--lifetime", type=float, default=300)
    p.add_argument("--region", default="us-east-1", help="imds: the region it reports")
    p.add_argument("--token", help="apiserver: the bearer token it accepts")
    p.add_argument("--node", help="apiserver: the node's name")
    p.add_argument("--ready-after", type=int, default=0, help="apiserver: GETs of the Node answered NotReady first")
    return p


SERVERS = {"imds": imds, "proxy": proxy, "upstream": upstream, "healthz": healthz, "apiserver": apiserver}


def main():
    specs = [[]]
    for arg in sys.argv[1:]:
        if arg == "+":
            specs.append([])
        else:
            specs[-1].append(arg)
    servers = [parser().parse_args(spec) for spec in specs]
    stop_after(max(s.lifetime for s in servers))
    # Each server in a thread of its own; a server that fails to start ends its thread with the error on
    # stderr and never writes its ready file, which the caller waits for.
    for s in servers[:-1]:
        threading.Thread(target=SERVERS[s.kind], args=(s,), daemon=True).start()
    SERVERS[servers[-1].kind](servers[-1])


if __name__ == "__main__":
    sys.exit(main())
