"""The HTTPS origin behind the TLS-inspecting proxy (Squid ssl_bump, support/squid-bump.ts), for the CA
bundle proofs (Python stdlib).

  tls_origin.py serve --port-file F --cert C --key K

Listens on 127.0.0.1 (the kernel picks the port, written to F): every GET gets "registry ok", every POST an
STS GetCallerIdentity answer (for botocore and the AWS CLI).
"""
import argparse
import http.server
import os
import ssl


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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["serve"])
    p.add_argument("--port-file", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    serve(p.parse_args())


if __name__ == "__main__":
    main()
