"""Run kubectl against a stub API server on 127.0.0.1 that answers discovery only (core v1 secrets and
rbac.authorization.k8s.io/v1 roles and rolebindings), for the kubectl commands that look resources up
before they act, such as `kubectl create role --dry-run=client`. Anything else is answered 404 and
recorded. Prints one JSON object: kubectl's exit code, stdout and stderr, and the requests the stub saw.

usage: kubectl-discovery.py KUBECTL_ARGS...
"""
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
DOCS = {
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": "rbac.authorization.k8s.io",
         "versions": [{"groupVersion": "rbac.authorization.k8s.io/v1", "version": "v1"}],
         "preferredVersion": {"groupVersion": "rbac.authorization.k8s.io/v1", "version": "v1"}}]},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        {"name": "secrets", "singularName": "secret", "namespaced": True, "kind": "Secret", "verbs": VERBS}]},
    "/apis/rbac.authorization.k8s.io/v1": {"kind": "APIResourceList", "groupVersion": "rbac.authorization.k8s.io/v1", "resources": [
        {"name": "roles", "singularName": "role", "namespaced": True, "kind": "Role", "verbs": VERBS},
        {"name": "rolebindings", "singularName": "rolebinding", "namespaced": True, "kind": "RoleBinding", "verbs": VERBS}]},
}
seen = []
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        seen.append(self.command + " " + path)
        doc = DOCS.get(path)
        body = json.dumps(doc or {"kind": "Status", "code": 404}).encode()
        self.send_response(200 if doc else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, *args):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=s.serve_forever, daemon=True).start()
with tempfile.TemporaryDirectory() as d:
    cfg = os.path.join(d, "config")
    open(cfg, "w").write(f"""apiVersion: v1
kind: Config
current-context: stub
clusters: [{{name: stub, cluster: {{server: "http://127.0.0.1:{s.server_address[1]}"}}}}]
contexts: [{{name: stub, context: {{cluster: stub, user: stub}}}}]
users: [{{name: stub, user: {{token: stub}}}}]
""")
    r = subprocess.run(["kubectl"] + sys.argv[1:], env={"PATH": os.environ["PATH"], "HOME": d, "KUBECONFIG": cfg}, capture_output=True, text=True, timeout=60)
print(json.dumps({"rc": r.returncode, "stdout": r.stdout, "stderr": r.stderr, "requests": seen}))
