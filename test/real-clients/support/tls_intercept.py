"""A TLS-intercepting HTTP proxy and the HTTPS server behind it, for the CA bundle proofs (Python stdlib).

  tls_intercept.py serve  --port-file F --cert C --key K            HTTPS server: every GET gets "registry ok",
                                                                   every POST an STS GetCallerIdentity answer
  tls_intercept.py proxy  --port-file F --ca-cert C --ca-key K --upstream-ca U --map HOST=127.0.0.1:PORT --workdir D

The proxy answers CONNECT host:port with 200, then terminates the client's TLS with a certificate for `host`
that it signs with its own CA (made by openssl at test time, like a corporate inspection proxy), and opens
TLS to the mapped upstream, verified against the upstream's CA. It relays bytes both ways.
"""
import argparse
import http.server
import os
import select
import socket
import ssl
import subprocess
import sys
import threading


def write_port(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, path)


# The shape of an STS GetCallerIdentity response (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
STS_IDENTITY = """<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:role/registry-ok</Arn>
    <UserId>AROAEXAMPLE:registry-ok</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>
"""


def serve(args):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = b"registry ok"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802
            # An AWS query-protocol call (botocore, the AWS CLI): the answer of STS GetCallerIdentity.
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = STS_IDENTITY.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def finish_request(self, request, client_address):
            # The TLS handshake in the connection's own thread: a stalled client never blocks accept().
            request.settimeout(10)
            super().finish_request(ctx.wrap_socket(request, server_side=True), client_address)

    httpd = Server(("127.0.0.1", 0), Handler)
    write_port(args.port_file, httpd.server_address[1])
    httpd.serve_forever()


_lock = threading.Lock()


def leaf_for(args, host):
    """A certificate for host signed by the proxy's CA (minted once per host)."""
    with _lock:
        cert = os.path.join(args.workdir, "leaf-%s.pem" % host)
        key = os.path.join(args.workdir, "leaf-%s.key" % host)
        if not os.path.exists(cert):
            csr = os.path.join(args.workdir, "leaf-%s.csr" % host)
            ext = os.path.join(args.workdir, "leaf-%s.ext" % host)
            with open(ext, "w") as f:
                f.write("subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n" % host)
            subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                            "-keyout", key, "-out", csr, "-subj", "/CN=%s" % host], check=True, capture_output=True)
            subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", args.ca_cert, "-CAkey", args.ca_key,
                            "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert],
                           check=True, capture_output=True)
        return cert, key


def relay(a, b):
    socks = [a, b]
    try:
        while True:
            ready, _, _ = select.select(socks, [], [], 30)
            if not ready:
                return
            for s in ready:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except (OSError, ssl.SSLError):
        return


def handle(args, mapping, conn):
    try:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target = head.split(b"\r\n", 1)[0].split(b" ")[:2]
        if method != b"CONNECT":
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host = target.decode().rsplit(":", 1)[0]
        if host not in mapping:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        conn.settimeout(10)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        cert, key = leaf_for(args, host)
        server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_ctx.load_cert_chain(cert, key)
        client_side = server_ctx.wrap_socket(conn, server_side=True)
        up_host, up_port = mapping[host].rsplit(":", 1)
        up_ctx = ssl.create_default_context(cafile=args.upstream_ca)
        upstream = up_ctx.wrap_socket(socket.create_connection((up_host, int(up_port)), timeout=10), server_hostname=host)
        relay(client_side, upstream)
    except (OSError, ssl.SSLError) as e:
        sys.stderr.write("proxy: %s\n" % e)
    finally:
        conn.close()


def proxy(args):
    mapping = dict(m.split("=", 1) for m in args.map)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    write_port(args.port_file, srv.getsockname()[1])
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(args, mapping, conn), daemon=True).start()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["serve", "proxy"])
    p.add_argument("--port-file", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--ca-cert")
    p.add_argument("--ca-key")
    p.add_argument("--upstream-ca")
    p.add_argument("--map", action="append", default=[])
    p.add_argument("--workdir")
    args = p.parse_args()
    serve(args) if args.mode == "serve" else proxy(args)


if __name__ == "__main__":
    main()
