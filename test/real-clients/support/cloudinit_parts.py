"""Split user data the way cloud-init 22.4 does, and write boothooks the way it does.

Reads a JSON array of user data (each base64, as EC2 carries it) on stdin: several in one run, since
importing cloud-init costs far more than a split. Uses cloud-init's own code, for each user data in a
directory of its own (OUTDIR/<index>):
- cloudinit.user_data.UserDataProcessor(paths).process(blob): MIME parsing and content-type detection,
- cloudinit.handlers.walk(...): the walk cloud-init's part handlers are dispatched from,
- cloudinit.handlers.boot_hook.BootHookPartHandler._write_part: the file cloud-init executes for a
  text/cloud-boothook part (prefix stripped, CRLF fixed, mode 0700),
and prints a JSON array, one {"parts": [{"contentType", "filename", "payload", "handler", "boothookBase64"?,
"boothookMode"?}]} per user data; boothookBase64 is the file cloud-init wrote, byte for byte.

Usage: python3 cloudinit_parts.py OUTDIR < user-data.json
"""
import base64
import json
import os
import sys

from cloudinit import handlers, helpers
from cloudinit.handlers.boot_hook import BootHookPartHandler
from cloudinit.user_data import UserDataProcessor


def split(blob, outdir):
    cloud_dir = os.path.join(outdir, "var-lib-cloud")
    os.makedirs(cloud_dir, exist_ok=True)
    paths = helpers.Paths({"cloud_dir": cloud_dir, "run_dir": os.path.join(outdir, "run")})
    msg = UserDataProcessor(paths).process(blob)

    boothook = BootHookPartHandler(paths, None)
    boothook.boothook_dir = os.path.join(outdir, "boothooks")
    handled = set(boothook.list_types())

    parts = []

    def callback(_data, filename, payload, headers):
        ctype = headers["Content-Type"]
        entry = {
            "contentType": ctype,
            "filename": filename,
            "payload": payload if isinstance(payload, str) else payload.decode("utf-8", "surrogateescape"),
            "handler": "boothook" if ctype in handled else None,
        }
        if ctype in handled:
            path = boothook._write_part(payload, filename)
            with open(path, "rb") as f:
                entry["boothookBase64"] = base64.b64encode(f.read()).decode("ascii")
            entry["boothookMode"] = oct(os.stat(path).st_mode & 0o777)
        parts.append(entry)

    handlers.walk(msg, callback, {})
    return {"parts": parts}


def main():
    outdir = sys.argv[1]
    blobs = [base64.b64decode(b) for b in json.load(sys.stdin)]
    json.dump([split(blob, os.path.join(outdir, str(i))) for i, blob in enumerate(blobs)], sys.stdout)


if __name__ == "__main__":
    main()
