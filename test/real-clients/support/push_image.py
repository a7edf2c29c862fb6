"""Push a one-layer OCI image to a registry through the distribution API (no Docker needed).

Usage: push_image.py BASE_URL REPOSITORY TAG TEXT  -> prints the manifest digest.
The layer holds one file, hello.txt, with TEXT; everything is deterministic (mtime 0).
"""
import gzip
import hashlib
import io
import json
import sys
import tarfile
import urllib.request


def digest(data: bytes) -> str:
    return 'sha256:' + hashlib.sha256(data).hexdigest()


def put_blob(base: str, repository: str, data: bytes) -> None:
    start = urllib.request.Request(f'{base}/v2/{repository}/blobs/uploads/', method='POST', data=b'')
    location = urllib.request.urlopen(start).headers['Location']
    url = location if location.startswith('http') else base + location
    sep = '&' if '?' in url else '?'
    urllib.request.urlopen(
        urllib.request.Request(
            f'{url}{sep}digest={digest(data)}',
            method='PUT',
            data=data,
            headers={'Content-Type': 'application/octet-stream'},
        )
    )


def main() -> None:
    base, repository, tag, text = sys.argv[1:5]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode='w') as tar:
        body = text.encode()
        info = tarfile.TarInfo('hello.txt')
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    layer = gzip.compress(raw.getvalue(), mtime=0)
    config = json.dumps(
        {
            'architecture': 'amd64',
            'os': 'linux',
            'rootfs': {'type': 'layers', 'diff_ids': [digest(raw.getvalue())]},
            'config': {},
        }
    ).encode()
    put_blob(base, repository, layer)
    put_blob(base, repository, config)
    manifest = json.dumps(
        {
            'schemaVersion': 2,
            'mediaType': 'application/vnd.oci.image.manifest.v1+json',
            'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': digest(config), 'size': len(config)},
            'layers': [
                {'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip', 'digest': digest(layer), 'size': len(layer)}
            ],
        }
    ).encode()
    urllib.request.urlopen(
        urllib.request.Request(
            f'{base}/v2/{repository}/manifests/{tag}',
            method='PUT',
            data=manifest,
            headers={'Content-Type': 'application/vnd.oci.image.manifest.v1+json'},
        )
    )
    print(digest(manifest))


if __name__ == '__main__':
    main()
