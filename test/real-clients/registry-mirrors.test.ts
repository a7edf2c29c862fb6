/**
 * Registry mirrors on the ECR pull through cache, through the real programs: the mirrors boothook of a
 * cluster with an `imageCache` (the renderer Amazon Linux 2023 node groups use) runs twice as root with a
 * private /etc, and then the real containerd (Debian's containerd and ctr) pulls images by their upstream
 * names (`registry.k8s.io/pause:3.10`) with the `hosts.toml` files it wrote. The registry that answers
 * stands for the account's ECR registry: Debian's docker-registry over HTTPS at the ECR host name, in a
 * network namespace with nothing else, holding the images where ECR caches them (`<prefix>/<path>`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { registryMirrorsOf } from '../../lib/images/pull-through-cache';
import {
  renderCredentialProviderConfig,
  renderHostsToml,
  renderMirrorsBoothook,
} from '../../lib/nodes/user-data/registry-mirrors';
import { testStack } from '../support/cdk';
import { clusterWithImageCache } from '../support/image-cache';
import { testServerCertificate } from './support/node-parts';
import { runImageSandbox } from './support/image-sandbox';
import { removeDir, requireRoot, requireTools, tempDir } from './support/proc';

const HOST = '111122223333.dkr.ecr.eu-west-1.amazonaws.com';

/** Images by their upstream names, with the repository ECR caches each under. */
const MIRRORED: Array<[string, string, string]> = [
  ['registry.k8s.io/pause:3.10', 'k8s/pause', '3.10'],
  ['quay.io/prometheus/node-exporter:v1.8.2', 'quay/prometheus/node-exporter', 'v1.8.2'],
];
/** Not mirrored: ECR Public (its token would not open the private registry) and a registry without a rule. */
const NOT_MIRRORED = ['public.ecr.aws/nginx/nginx:1.27', 'ghcr.io/org/app:1'];

describe('registry mirrors: the boothook writes them, containerd pulls through them', () => {
  let work: string;
  let mirrors: ReturnType<typeof registryMirrorsOf>;
  let results: number[];

  beforeAll(() => {
    requireRoot();
    requireTools('unshare', 'ip', 'curl', 'openssl', 'containerd', 'ctr', 'docker-registry');
    const stack = testStack('eu-west-1');
    const { cache } = clusterWithImageCache(stack);
    mirrors = stack.resolve(registryMirrorsOf(cache));
    work = tempDir('registry-mirrors');
    fs.writeFileSync(path.join(work, 'boothook'), renderMirrorsBoothook(mirrors));
    fs.writeFileSync(path.join(work, 'host'), HOST);
    const tls = testServerCertificate(HOST);
    fs.mkdirSync(path.join(work, 'tls'));
    fs.writeFileSync(path.join(work, 'tls', 'ca.pem'), tls.caPem);
    fs.writeFileSync(path.join(work, 'tls', 'cert.pem'), tls.certPem);
    fs.writeFileSync(path.join(work, 'tls', 'key.pem'), tls.keyPem);
    fs.writeFileSync(path.join(work, 'push'), MIRRORED.map(([, repository, tag]) => `${repository} ${tag}\n`).join(''));
    fs.writeFileSync(
      path.join(work, 'pull'),
      [...MIRRORED.map(([image]) => image), ...NOT_MIRRORED].map((i) => `${i}\n`).join(''),
    );
    results = runImageSandbox('registry-mirrors-sandbox.sh', work);
  });
  afterAll(() => removeDir(work));

  test('the cluster mirrors registry.k8s.io and Quay on its ECR host, not ECR Public', () => {
    expect(mirrors).toEqual({
      region: 'eu-west-1',
      mirrors: [
        { registry: 'registry.k8s.io', server: 'https://registry.k8s.io', endpoint: `https://${HOST}/v2/k8s` },
        { registry: 'quay.io', server: 'https://quay.io', endpoint: `https://${HOST}/v2/quay` },
      ],
    });
  });

  test('the boothook writes exactly the rendered files, and a second run changes none of them', () => {
    const written = (p: string) => fs.readFileSync(path.join(work, 'written', p), 'utf8');
    expect(written('etc/containerd/certs.d/registry.k8s.io/hosts.toml')).toBe(renderHostsToml(mirrors.mirrors[0]));
    expect(written('etc/containerd/certs.d/quay.io/hosts.toml')).toBe(renderHostsToml(mirrors.mirrors[1]));
    expect(written('etc/eks/image-credential-provider/cdk-private-eks-config.json')).toBe(
      renderCredentialProviderConfig(mirrors),
    );
    const first = fs.readFileSync(path.join(work, 'files-1'), 'utf8');
    expect(first.trim().split('\n')).toHaveLength(3);
    // Same checksums and the same modification times: the second boot rewrote nothing.
    expect(fs.readFileSync(path.join(work, 'files-2'), 'utf8')).toBe(first);
  });

  test('containerd pulls each mirrored image by its upstream name from the cache repository on the ECR host', () => {
    expect(results.slice(0, MIRRORED.length)).toEqual(MIRRORED.map(() => 0));
    const images = fs.readFileSync(path.join(work, 'images'), 'utf8').trim().split('\n').sort();
    expect(images).toEqual(MIRRORED.map(([image]) => image).sort());
    const log = fs.readFileSync(path.join(work, 'registry.log'), 'utf8');
    for (const [image, repository, tag] of MIRRORED) {
      const ns = image.split('/')[0];
      expect(log).toContain(`"HEAD /v2/${repository}/manifests/${tag}?ns=${ns} `);
    }
  });

  test('images on registries without a mirror are not pulled from the cache, and fail in a closed network', () => {
    expect(results.slice(MIRRORED.length)).toEqual(NOT_MIRRORED.map(() => 1));
    const log = fs.readFileSync(path.join(work, 'registry.log'), 'utf8');
    expect(log).not.toMatch(/ns=(public\.ecr\.aws|ghcr\.io)/);
  });
});
