/**
 * The user data of Karpenter's EC2NodeClass (lib/karpenter/manifests.ts) read by the real cloud-init: our MIME
 * archive of the AL2023 parts (boothook, NodeConfig, mirrors) splits into exactly those parts, the boothook is
 * the script cloud-init writes and runs, and shellcheck accepts it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { renderMimeUserData } from '../../lib/karpenter/manifests';
import { AL2023 } from '../../lib/nodes/user-data/al2023';
import { NodeProxy } from '../../lib/nodes/user-data/family';
import { cloudInitParts } from './support/cloudinit';
import { removeDir, requireCloudInit, requireTools, run, tempDir } from './support/proc';

const proxy: NodeProxy = {
  environment: {
    HTTP_PROXY: 'http://proxy.corp.example:3128',
    HTTPS_PROXY: 'http://proxy.corp.example:3128',
    NO_PROXY: 'localhost,10.0.0.0/16,.corp.example',
    http_proxy: 'http://proxy.corp.example:3128',
    https_proxy: 'http://proxy.corp.example:3128',
    no_proxy: 'localhost,10.0.0.0/16,.corp.example',
  },
  httpsProxy: 'http://proxy.corp.example:3128',
  httpsProxyHostPort: 'proxy.corp.example:3128',
  noProxy: ['localhost', '10.0.0.0/16', '.corp.example'],
};

describe("Karpenter's AL2023 user data, read by cloud-init", () => {
  const rendered = AL2023.render({
    proxy,
    registryMirrors: {
      region: 'us-east-1',
      mirrors: [
        {
          registry: 'registry.k8s.io',
          server: 'https://registry.k8s.io',
          endpoint: 'https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/k8s',
        },
      ],
    },
  });
  if (rendered.kind !== 'mime') {
    throw new Error('AL2023 renders MIME parts');
  }
  let work: string;
  beforeAll(() => {
    requireCloudInit();
    requireTools('shellcheck');
    work = tempDir('karpenter-user-data');
  });
  afterAll(() => removeDir(work));

  test('cloud-init splits it into exactly our parts, in order, with their bodies', () => {
    const parts = cloudInitParts(renderMimeUserData(rendered.parts));
    expect(parts.map((p) => [p.contentType, p.payload.replace(/\n$/, '')])).toEqual(
      rendered.parts.map((p) => [p.contentType.split(';')[0], p.body.replace(/\n$/, '')]),
    );
    // Boothooks are written 0700 and executed by cloud-init.
    for (const p of parts.filter((x) => x.contentType === 'text/cloud-boothook')) {
      expect(p.boothookMode).toBe('0o700');
      expect(p.boothookScript).toMatch(/^#!\/bin\/bash\n/);
    }
  });

  test('shellcheck accepts each boothook', () => {
    const hooks = rendered.parts.filter((p) => p.contentType.startsWith('text/cloud-boothook'));
    expect(hooks.length).toBe(2);
    hooks.forEach((hook, i) => {
      const file = path.join(work, `hook-${i}.sh`);
      fs.writeFileSync(file, hook.body);
      const r = run('shellcheck', ['-s', 'bash', file]);
      expect({ hook: i, status: r.status, out: r.stdout }).toEqual({ hook: i, status: 0, out: '' });
    });
  });
});
