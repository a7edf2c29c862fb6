"""Split user data the way cloud-init 22.4 does, and write boothooks the way it does.

Reads raw (base64-decoded) user data on stdin. Uses cloud-init's own code:
- cloudinit.user_data.UserDataProcessor(paths).process(blob): MIME parsing and content-type detection,
- cloudinit.handlers.walk(...): the walk cloud-init's part handlers are dispatched from,
- cloudinit.handlers.boot_hook.BootHookPartHandler._write_part: the file cloud-init executes for a
  text/cloud-boothook part (prefix stripped, CRLF fixed, mode 0700),
and prints JSON: {"parts": [{"contentType", "filename", "payload", "handler", "boothookFile"?}]}.

Usage: python3 cloudinit_parts.py OUTDIR < user-data
"""
import json
import os
import sys

from cloudinit import handlers, helpers
from cloudinit.handlers.boot_hook import BootHookPartHandler
from cloudinit.user_data import UserDataProcessor


def main():
    outdir = sys.argv[1]
    cloud_dir = os.path.join(outdir, "var-lib-cloud")
    os.makedirs(cloud_dir, exist_ok=True)
    paths = helpers.Paths({"cloud_dir": cloud_dir, "run_dir": os.path.join(outdir, "run")})
    blob = sys.stdin.buffer.read()
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
            entry["boothookFile"] = path
            entry["boothookMode"] = oct(os.stat(path).st_mode & 0o777)
        parts.append(entry)

    handlers.walk(msg, callback, {})
    json.dump({"parts": parts}, sys.stdout)


if __name__ == "__main__":
    main()
