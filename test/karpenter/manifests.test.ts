/**
 * Karpenter's objects for nodes behind the proxy (lib/karpenter/manifests.ts), validated with ajv against
 * Karpenter's own CRDs (v1.14.1, test/fixtures/crds); the user data is the node groups' own rendering.
 */
import { parse as parseToml } from 'smol-toml';
import * as YAML from 'yaml';
import { renderEc2NodeClass, renderKarpenterNodePool, userDataText } from '../../lib/karpenter/manifests';
import { AL2023 } from '../../lib/nodes/user-data/al2023';
import { BOTTLEROCKET } from '../../lib/nodes/user-data/bottlerocket';
import { NodeProxy } from '../../lib/nodes/user-data/family';
import { crdValidator } from '../support/crds';
import { mimeParts } from '../support/mime';

const validNodeClass = crdValidator('karpenter.k8s.aws_ec2nodeclasses.yaml');
const validNodePool = crdValidator('karpenter.sh_nodepools.yaml');

const proxy: NodeProxy = {
  environment: {
    HTTP_PROXY: 'http://proxy.corp.example:3128',
    HTTPS_PROXY: 'http://proxy.corp.example:3128',
    NO_PROXY: 'localhost,10.0.0.0/16',
    http_proxy: 'http://proxy.corp.example:3128',
    https_proxy: 'http://proxy.corp.example:3128',
    no_proxy: 'localhost,10.0.0.0/16',
  },
  httpsProxy: 'http://proxy.corp.example:3128',
  httpsProxyHostPort: 'proxy.corp.example:3128',
  noProxy: ['localhost', '10.0.0.0/16'],
};

function nodeClass(family: typeof AL2023, userData: string | undefined, amiVersion?: string) {
  return renderEc2NodeClass({
    name: 'proxied',
    family,
    amiVersion,
    instanceProfile: 'karpenter-node',
    subnetIds: ['subnet-0a', 'subnet-0b'],
    securityGroupIds: ['sg-0c'],
    userData,
    dataVolumeGiB: 80,
  });
}

test('AL2023: valid EC2NodeClass, IMDSv2 hop limit 1, encrypted volume, user data = the boothook and the NodeConfig, no cluster fields', () => {
  const userData = userDataText(AL2023.render({ proxy }))!;
  const object = nodeClass(AL2023, userData);
  expect(validNodeClass(object)).toEqual([]);
  expect((object.spec as any).metadataOptions).toMatchObject({ httpTokens: 'required', httpPutResponseHopLimit: 1 });
  expect((object.spec as any).blockDeviceMappings).toEqual([
    {
      deviceName: '/dev/xvda',
      ebs: { volumeSize: '80Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true },
    },
  ]);
  const parts = mimeParts(userData);
  expect(parts.map((p) => p.contentType)).toEqual([
    'text/cloud-boothook; charset="us-ascii"',
    'application/node.eks.aws',
  ]);
  const nodeConfig = YAML.parse(parts[1].body);
  expect(nodeConfig.spec.cluster).toBeUndefined();
  expect(nodeConfig.spec.instance.environment.default.HTTPS_PROXY).toBe('http://proxy.corp.example:3128');
});

test('Bottlerocket: valid EC2NodeClass with the OS and data volumes, user data = the TOML network settings', () => {
  const userData = userDataText(BOTTLEROCKET.render({ proxy }))!;
  const object = nodeClass(BOTTLEROCKET, userData);
  expect(validNodeClass(object)).toEqual([]);
  expect((object.spec as any).amiSelectorTerms).toEqual([{ alias: 'bottlerocket@latest' }]);
  expect((object.spec as any).blockDeviceMappings.map((b: any) => b.deviceName)).toEqual(['/dev/xvda', '/dev/xvdb']);
  const toml = parseToml(userData) as any;
  expect(toml.settings.network).toEqual({
    'https-proxy': 'proxy.corp.example:3128',
    'no-proxy': ['localhost', '10.0.0.0/16'],
  });
  expect(toml.settings.kubernetes).toBeUndefined();
});

test('the NodePool is a valid NodePool on the EC2NodeClass', () => {
  const pool = renderKarpenterNodePool('default', 'proxied');
  expect(validNodePool(pool)).toEqual([]);
  expect((pool.spec as any).template.spec.nodeClassRef).toEqual({
    group: 'karpenter.k8s.aws',
    kind: 'EC2NodeClass',
    name: 'proxied',
  });
});

test.each<[string, (o: any) => void]>([
  ['no amiSelectorTerms', (o) => delete o.spec.amiSelectorTerms],
  ['a hop limit of 0', (o) => (o.spec.metadataOptions.httpPutResponseHopLimit = 0)],
  ['IMDSv1 allowed by a typo', (o) => (o.spec.metadataOptions.httpTokens = 'require')],
  ['a volume type EBS does not have', (o) => (o.spec.blockDeviceMappings[0].ebs.volumeType = 'gp4')],
])('a broken EC2NodeClass is refused by the CRD: %s', (_name, breakIt) => {
  const broken = JSON.parse(JSON.stringify(nodeClass(AL2023, undefined)));
  breakIt(broken);
  expect(validNodeClass(broken)).not.toEqual([]);
});

test.each([
  [AL2023, 'v20251120', 'al2023@v20251120'],
  [BOTTLEROCKET, 'v9999.9999.9999', 'bottlerocket@v9999.9999.9999'],
])(
  '%# a pinned AMI version: the alias, within the CRD (its 30 characters at the longest version)',
  (family, version, alias) => {
    const object = nodeClass(family, undefined, version);
    expect((object.spec as any).amiSelectorTerms).toEqual([{ alias }]);
    expect(validNodeClass(object)).toEqual([]);
    // The CRD's own CEL rules, which ajv does not run: family@version, a known family.
    expect(alias).toMatch(/^[a-zA-Z0-9]+@.+$/);
    expect(['al2023', 'bottlerocket']).toContain(alias.split('@')[0]);
  },
);

test('the CRD refuses an alias over 30 characters: the check can fail', () => {
  expect(validNodeClass(nodeClass(BOTTLEROCKET, undefined, 'v99999.99999.99999'))).not.toEqual([]);
});
