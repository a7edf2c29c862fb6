/** The CA bundle renderers for nodes (lib/nodes/user-data/ca-bundle.ts) and how the families place them. */
import * as path from 'path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { parse } from 'smol-toml';
import { EndpointService, NodeFamily, PrivateEksCluster, ProxySettings } from '../../../lib';
import { AL2 } from '../../../lib/nodes/user-data/al2';
import { AL2023 } from '../../../lib/nodes/user-data/al2023';
import { BOTTLEROCKET, BOTTLEROCKET_PKI_BUNDLE } from '../../../lib/nodes/user-data/bottlerocket';
import { CA_ANCHOR, CA_BOOTHOOK_MARKER, renderCaTrustBoothook } from '../../../lib/nodes/user-data/ca-bundle';
import { NodeProxy, RenderedUserData } from '../../../lib/nodes/user-data/family';
import { fakeKubectlLayer, isolatedVpc, testStack } from '../../support/cdk';

const dir = path.join(__dirname, '..', '..', 'fixtures', 'ca');
const bundle = ['inspection-root-ca.pem', 'second-root-ca.pem']
  .map((f) => ProxySettings.fromUrl('http://p:3128', { caBundleFile: path.join(dir, f) }).caBundle)
  .join('');

const proxy: NodeProxy = {
  environment: { HTTPS_PROXY: 'http://proxy.corp.example:3128', NO_PROXY: 'localhost' },
  httpsProxy: 'http://proxy.corp.example:3128',
  httpsProxyHostPort: 'proxy.corp.example:3128',
  noProxy: ['localhost'],
  caBundle: bundle,
};

function mimeParts(r: RenderedUserData) {
  if (r.kind !== 'mime') {
    throw new Error('not MIME');
  }
  return r.parts;
}

describe('renderCaTrustBoothook', () => {
  const script = renderCaTrustBoothook(bundle, ['amazon-ssm-agent']);

  test('writes the exact bundle with a quoted here-document into the anchor, then extracts and restarts', () => {
    const lines = script.split('\n');
    const start = lines.indexOf('cat >"$tmp" <<\'CDK_PRIVATE_EKS_CA_BUNDLE\'');
    const end = lines.indexOf('CDK_PRIVATE_EKS_CA_BUNDLE');
    expect(lines.slice(start + 1, end).join('\n') + '\n').toBe(bundle);
    expect(lines[1]).toBe(CA_BOOTHOOK_MARKER);
    expect(script).toContain(`anchor=${CA_ANCHOR}`);
    expect(script.indexOf('update-ca-trust extract')).toBeGreaterThan(script.indexOf('mv -f "$tmp" "$anchor"'));
    expect(script).toMatch(/\nsystemctl try-restart --no-block amazon-ssm-agent\.service\n$/);
  });

  test('on an unchanged anchor it exits before update-ca-trust', () => {
    expect(script.indexOf('exit 0')).toBeLessThan(script.indexOf('update-ca-trust extract'));
    expect(script.indexOf('cmp -s "$tmp" "$anchor"')).toBeLessThan(script.indexOf('exit 0'));
  });
});

describe('node families', () => {
  test.each([
    ['AL2023', AL2023],
    ['AL2', AL2],
  ])('%s: the CA boothook is the first part, before the proxy boothook', (_name, family) => {
    const parts = mimeParts(family.render({ proxy }));
    expect(parts[0].contentType).toBe('text/cloud-boothook; charset="us-ascii"');
    expect(parts[0].body).toContain(CA_BOOTHOOK_MARKER);
    expect(parts[1].contentType).toBe('text/cloud-boothook; charset="us-ascii"');
    expect(parts[1].body).not.toContain('BEGIN CERTIFICATE');
    expect(mimeParts(family.render({ proxy: { ...proxy, caBundle: undefined } }))[0].body).not.toContain(
      CA_BOOTHOOK_MARKER,
    );
  });

  test('Bottlerocket: settings.pki carries the exact PEM, base64, trusted', () => {
    const r = BOTTLEROCKET.render({ proxy });
    if (r.kind !== 'raw') {
      throw new Error('not raw');
    }
    const toml = parse(r.body) as any;
    const pki = toml.settings.pki[BOTTLEROCKET_PKI_BUNDLE];
    expect(pki.trusted).toBe(true);
    expect(Buffer.from(pki.data, 'base64').toString('utf8')).toBe(bundle);
    expect(Object.keys(toml.settings.pki)).toEqual([BOTTLEROCKET_PKI_BUNDLE]);
  });
});

describe('node groups with a CA bundle', () => {
  function clusterWith(endpointServices?: EndpointService[]) {
    const stack = testStack('us-east-1');
    const cluster = new PrivateEksCluster(stack, 'Cluster', {
      vpc: isolatedVpc(stack),
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: fakeKubectlLayer(stack),
      proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', { caBundle: bundle }),
      endpointServices,
    });
    return { stack, cluster };
  }

  test('AL2023 without an EC2 endpoint: a warning that nodeadm-config calls EC2 before the boothook', () => {
    const { stack, cluster } = clusterWith([EndpointService.LAMBDA, EndpointService.S3, EndpointService.STS]);
    cluster.addProxiedNodeGroup('Workers', { instanceTypes: [new ec2.InstanceType('m7i.large')] });
    cluster.addProxiedNodeGroup('Rockets', {
      instanceTypes: [new ec2.InstanceType('m7i.large')],
      family: NodeFamily.BOTTLEROCKET,
    });
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning(
      '/Test/Cluster/Workers',
      Match.stringLikeRegexp('nodeadm-config.service runs before cloud-init'),
    );
    annotations.hasNoWarning('/Test/Cluster/Rockets', Match.stringLikeRegexp('nodeadm-config'));
  });

  test('AL2023 with the default endpoints (EC2 among them): no such warning', () => {
    const { stack, cluster } = clusterWith();
    cluster.addProxiedNodeGroup('Workers', { instanceTypes: [new ec2.InstanceType('m7i.large')] });
    Annotations.fromStack(stack).hasNoWarning('/Test/Cluster/Workers', Match.stringLikeRegexp('nodeadm-config'));
  });
});
