/**
 * The names `PullThroughCache.imageUri` gives, pulled by the real containerd (Debian's containerd and ctr)
 * from a local registry (Debian's docker-registry) that stands for the account's ECR registry: the content
 * sits where ECR's pull through cache puts it (`<prefix>/<upstream path>`), a hosts.toml sends the ECR host
 * to loopback, and the sandbox has no other network. Every name resolves and pulls; a name without the
 * prefix (what a hand-written rewrite often gets wrong) does not.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { PullThroughCache, PullThroughCacheUpstream } from '../../lib';
import { testStack } from '../support/cdk';
import { runImageSandbox } from './support/image-sandbox';
import { removeDir, requireRoot, requireTools, tempDir } from './support/proc';

const ECR_HOST = '111122223333.dkr.ecr.eu-west-1.amazonaws.com';

/** Images as workloads name them, with the repository ECR caches each under and its tag. */
const IMAGES: Array<[string, string, string]> = [
  ['nginx:1.27', 'docker-hub/library/nginx', '1.27'],
  ['docker.io/bitnami/redis:7.4', 'docker-hub/bitnami/redis', '7.4'],
  ['registry.k8s.io/pause:3.10', 'k8s/pause', '3.10'],
  ['public.ecr.aws/eks-distro/kubernetes/pause:3.9', 'ecr-public/eks-distro/kubernetes/pause', '3.9'],
  ['quay.io/prometheus/node-exporter:v1.8.2', 'mirrors/quay/prometheus/node-exporter', 'v1.8.2'],
];

describe('imageUri names, pulled by containerd from the cache', () => {
  let work: string;
  let uris: string[];
  let results: number[];

  beforeAll(() => {
    requireRoot();
    requireTools('unshare', 'ip', 'curl', 'containerd', 'ctr', 'docker-registry');
    const stack = testStack('eu-west-1');
    const cache = new PullThroughCache(stack, 'Cache', {
      upstreams: [
        PullThroughCacheUpstream.dockerHub(
          secretsmanager.Secret.fromSecretNameV2(stack, 'Hub', 'ecr-pullthroughcache/docker-hub'),
        ),
        PullThroughCacheUpstream.ecrPublic(),
        PullThroughCacheUpstream.kubernetes(),
        PullThroughCacheUpstream.quay({ prefix: 'mirrors/quay' }),
      ],
    });
    uris = IMAGES.map(([image]) => stack.resolve(cache.imageUri(image)));
    work = tempDir('image-cache');
    fs.mkdirSync(path.join(work, 'certs.d', ECR_HOST), { recursive: true });
    // containerd's registry host configuration (containerd docs/hosts.md): the ECR host is served by the
    // local registry over plain HTTP.
    fs.writeFileSync(
      path.join(work, 'certs.d', ECR_HOST, 'hosts.toml'),
      `server = "https://${ECR_HOST}"\n\n[host."http://127.0.0.1:5055"]\n  capabilities = ["pull", "resolve"]\n`,
    );
    fs.writeFileSync(path.join(work, 'push'), IMAGES.map(([, repository, tag]) => `${repository} ${tag}\n`).join(''));
    // The last pull forgets the prefix: it must fail.
    const unprefixed = `${ECR_HOST}/library/nginx:1.27`;
    fs.writeFileSync(path.join(work, 'pull'), [...uris, unprefixed].map((u) => `${u}\n`).join(''));
    results = runImageSandbox('image-cache-sandbox.sh', work);
  });
  afterAll(() => removeDir(work));

  test('the names are on the ECR host, under the rules’ prefixes', () => {
    expect(uris).toEqual(IMAGES.map(([, repository, tag]) => `${ECR_HOST}/${repository}:${tag}`));
  });

  test('containerd pulls every name, and the registry served each from the cached repository', () => {
    expect(results.slice(0, IMAGES.length)).toEqual(IMAGES.map(() => 0));
    expect(fs.readFileSync(path.join(work, 'images'), 'utf8').trim().split('\n').sort()).toEqual([...uris].sort());
    const log = fs.readFileSync(path.join(work, 'registry.log'), 'utf8');
    for (const [, repository, tag] of IMAGES) {
      // Resolved by tag (containerd asks with HEAD), then fetched by digest.
      expect(log).toContain(`"HEAD /v2/${repository}/manifests/${tag}?ns=${ECR_HOST} `);
      expect(log).toMatch(new RegExp(`"GET /v2/${repository}/manifests/sha256:[0-9a-f]{64}\\?ns=`));
    }
  });

  test('a name without the prefix is not in the cache: containerd fails to pull it (the check can fail)', () => {
    expect(results[IMAGES.length]).not.toBe(0);
    // The cache answered 404; containerd then tried the ECR host itself, which the sandbox cannot reach.
    expect(fs.readFileSync(path.join(work, 'registry.log'), 'utf8')).toMatch(
      /"HEAD \/v2\/library\/nginx\/manifests\/1\.27\?ns=[^"]*" 404 /,
    );
    expect(fs.readFileSync(path.join(work, 'pull.log'), 'utf8')).toContain(
      `ctr: failed to resolve reference "${ECR_HOST}/library/nginx:1.27"`,
    );
  });
});
