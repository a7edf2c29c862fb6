import { Fn, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { parse } from 'smol-toml';
import { NodeFamily, PrivateEksCluster, ProxySettings } from '../../../lib';
import { PrivateEksValidationError } from '../../../lib/errors';
import {
  BOTTLEROCKET,
  bottlerocketTaints,
  renderBottlerocketSettings,
  renderToml,
  tomlKey,
  tomlString,
} from '../../../lib/nodes/user-data/bottlerocket';
import { ClusterBootstrap, NodeBootstrapInput, NodeProxy } from '../../../lib/nodes/user-data/family';
import { buildNodeUserData } from '../../../lib/nodes/node-user-data';
import { fakeKubectlLayer, isolatedVpc, testStack } from '../../support/cdk';

const REGION = '${Token[AWS.Region.4]}';
const VPC_CIDR = '${Token[TOKEN.123]}';

const NO_PROXY = [
  'localhost',
  '127.0.0.1',
  '169.254.169.254',
  'fd00:ec2::254',
  VPC_CIDR,
  '172.20.0.0/16',
  '.internal',
  `.${REGION}.eks.amazonaws.com`,
  `ec2.${REGION}.amazonaws.com`,
  `.s3.${REGION}.amazonaws.com`,
  '.corp.example',
];

const proxy: NodeProxy = {
  environment: { HTTPS_PROXY: 'http://proxy.corp.example:3128' },
  httpsProxy: 'http://proxy.corp.example:3128',
  httpsProxyHostPort: 'proxy.corp.example:3128',
  noProxy: NO_PROXY,
};

const cluster: ClusterBootstrap = {
  name: '${Token[TOKEN.200]}',
  endpoint: '${Token[TOKEN.201]}',
  certificateAuthority: '${Token[TOKEN.202]}',
  serviceCidr: '172.20.0.0/16',
  dnsClusterIp: '172.20.0.10',
};

/** Render through the family and parse with a real TOML parser. */
function settingsOf(input: NodeBootstrapInput): any {
  const rendered = BOTTLEROCKET.render(input);
  expect(rendered.kind).toBe('raw');
  return parse(rendered.kind === 'raw' ? rendered.body : '');
}

describe('Bottlerocket TOML renderer', () => {
  test('a managed node on the EKS AMI gets only [settings.network]', () => {
    expect(settingsOf({ proxy })).toEqual({
      settings: { network: { 'https-proxy': 'proxy.corp.example:3128', 'no-proxy': NO_PROXY } },
    });
  });

  test('the proxy is host:port without scheme, and there is no http-proxy', () => {
    const rendered = BOTTLEROCKET.render({ proxy });
    const body = rendered.kind === 'raw' ? rendered.body : '';
    expect(body).toContain('https-proxy = "proxy.corp.example:3128"\n');
    expect(body).not.toMatch(/http-proxy|http:\/\//);
  });

  test('a self-managed node gets every section', () => {
    const settings = settingsOf({
      proxy,
      cluster,
      kubelet: {
        labels: { role: 'worker', 'node.kubernetes.io/lifecycle': 'spot' },
        taints: ['dedicated=gpu:NoSchedule', 'dedicated=gpu:NoExecute', 'spot:PreferNoSchedule'],
      },
      signal: {
        stackName: '${Token[AWS.StackName.5]}',
        logicalId: 'NodesAsg1234',
        region: REGION,
        timeoutSeconds: 660,
        unreachableSeconds: 180,
        pollSeconds: 10,
      },
    });
    expect(settings).toEqual({
      settings: {
        network: { 'https-proxy': 'proxy.corp.example:3128', 'no-proxy': NO_PROXY },
        kubernetes: {
          'api-server': '${Token[TOKEN.201]}',
          'cluster-certificate': '${Token[TOKEN.202]}',
          'cluster-name': '${Token[TOKEN.200]}',
          'cluster-dns-ip': '172.20.0.10',
          'node-labels': { role: 'worker', 'node.kubernetes.io/lifecycle': 'spot' },
          'node-taints': { dedicated: ['gpu:NoSchedule', 'gpu:NoExecute'], spot: [':PreferNoSchedule'] },
        },
        cloudformation: {
          'should-signal': true,
          'stack-name': '${Token[AWS.StackName.5]}',
          'logical-resource-id': 'NodesAsg1234',
        },
      },
    });
  });

  test('a pinned AMI without a proxy gets only [settings.kubernetes]', () => {
    expect(settingsOf({ cluster })).toEqual({
      settings: {
        kubernetes: {
          'api-server': '${Token[TOKEN.201]}',
          'cluster-certificate': '${Token[TOKEN.202]}',
          'cluster-name': '${Token[TOKEN.200]}',
          'cluster-dns-ip': '172.20.0.10',
        },
      },
    });
  });

  test('token markers pass through verbatim, inside the quotes', () => {
    const body = renderBottlerocketSettings({ proxy, cluster });
    expect(body).toContain(`"${VPC_CIDR}"`);
    expect(body).toContain(`".${REGION}.eks.amazonaws.com"`);
    expect(body).toContain('api-server = "${Token[TOKEN.201]}"\n');
  });

  test('no-proxy keeps every entry, in order, duplicates included', () => {
    const list = ['b.example', 'a.example', VPC_CIDR, 'b.example', '[fd00::1]', '*.corp.example'];
    expect(settingsOf({ proxy: { ...proxy, noProxy: list } }).settings.network['no-proxy']).toEqual(list);
  });

  test('quotes, backslashes and control characters are escaped per TOML', () => {
    const nasty = 'a "quoted" C:\\path\\ with\ttab,\nnewline, \r, \u0001, \u007f and ü';
    const settings = settingsOf({ kubelet: { labels: { [nasty]: nasty, plain: 'x' }, taints: [] } });
    expect(settings.settings.kubernetes['node-labels']).toEqual({ [nasty]: nasty, plain: 'x' });
    expect(tomlString('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
    expect(tomlString('\u0001\u001f\u007f')).toBe('"\\u0001\\u001F\\u007F"');
    expect(tomlString('${Token[TOKEN.9]}')).toBe('"${Token[TOKEN.9]}"');
  });

  test('keys are bare only when TOML allows it', () => {
    expect(tomlKey('https-proxy')).toBe('https-proxy');
    expect(tomlKey('node_x-1')).toBe('node_x-1');
    expect(tomlKey('node.kubernetes.io/role')).toBe('"node.kubernetes.io/role"');
    expect(tomlKey('')).toBe('""');
  });

  test('taints become key = ["value:Effect", ...], an empty value as ":Effect"', () => {
    expect(
      bottlerocketTaints(['k=v:NoSchedule', 'example.com/x=:NoExecute', 'bare:NoSchedule', 'k=w:NoExecute']),
    ).toEqual([
      ['k', ['v:NoSchedule', 'w:NoExecute']],
      ['example.com/x', [':NoExecute']],
      ['bare', [':NoSchedule']],
    ]);
  });

  test('empty labels and taints leave their tables out', () => {
    expect(renderBottlerocketSettings({ kubelet: { labels: {}, taints: [] } })).toBe('');
    expect(
      renderToml([
        { name: ['a'], entries: [] },
        { name: ['b'], entries: [['x', true]] },
      ]),
    ).toBe('[b]\nx = true\n');
  });

  test('nothing to say means no user data (an empty MIME document)', () => {
    expect(BOTTLEROCKET.render({})).toEqual({ kind: 'mime', parts: [] });
    expect(buildNodeUserData(testStack(), BOTTLEROCKET, {})).toBeUndefined();
  });

  test('a token proxy URL is an input problem naming proxy', () => {
    const tokenProxy: NodeProxy = { ...proxy, httpsProxy: '${Token[TOKEN.77]}', httpsProxyHostPort: undefined };
    const problem = BOTTLEROCKET.inputProblem({ proxy: tokenProxy });
    expect(problem).toMatchObject({ prop: 'proxy' });
    expect(problem!.problem).toMatch(/host:port/);
    expect(problem!.fix).toMatch(/literal/);
    expect(BOTTLEROCKET.inputProblem({ proxy })).toBeUndefined();
    expect(BOTTLEROCKET.inputProblem({})).toBeUndefined();
  });

  test('an https:// proxy is an input problem naming proxy.httpsProxy, not a silently dropped scheme', () => {
    const tls: NodeProxy = {
      ...proxy,
      httpsProxy: 'https://proxy.corp.example:3129',
      httpsProxyHostPort: 'proxy.corp.example:3129',
    };
    const problem = BOTTLEROCKET.inputProblem({ proxy: tls });
    expect(problem).toMatchObject({ prop: 'proxy.httpsProxy' });
    expect(problem!.problem).toMatch(/https:\/\/proxy\.corp\.example:3129, a TLS proxy.*plain HTTP/);
    expect(problem!.fix).toMatch(/http:\/\/host:port/);
    expect(
      BOTTLEROCKET.inputProblem({ proxy: { ...tls, httpsProxy: 'HTTPS://proxy.corp.example:3129' } }),
    ).toBeDefined();
  });

  test('AMI types are aws-eks-v2 NodegroupAmiType values, default first', () => {
    expect(BOTTLEROCKET.amiTypes.x86_64).toEqual([
      eks.NodegroupAmiType.BOTTLEROCKET_X86_64,
      eks.NodegroupAmiType.BOTTLEROCKET_X86_64_NVIDIA,
      eks.NodegroupAmiType.BOTTLEROCKET_X86_64_FIPS,
    ]);
    expect(BOTTLEROCKET.amiTypes.arm64).toEqual([
      eks.NodegroupAmiType.BOTTLEROCKET_ARM_64,
      eks.NodegroupAmiType.BOTTLEROCKET_ARM_64_NVIDIA,
      eks.NodegroupAmiType.BOTTLEROCKET_ARM_64_FIPS,
    ]);
  });

  test('the public SSM parameter of the aws-k8s variant', () => {
    expect(BOTTLEROCKET.amiParameter('1.35', 'x86_64')).toBe(
      '/aws/service/bottlerocket/aws-k8s-1.35/x86_64/latest/image_id',
    );
    expect(BOTTLEROCKET.amiParameter('1.34', 'arm64')).toBe(
      '/aws/service/bottlerocket/aws-k8s-1.34/arm64/latest/image_id',
    );
  });

  test('every version aws-eks-v2 knows has a variant; no warning', () => {
    for (const v of ['1.25', '1.29', '1.35', '1.37']) {
      expect(BOTTLEROCKET.versionProblem(v)).toBeUndefined();
      expect(BOTTLEROCKET.warning(v)).toBeUndefined();
    }
    expect(BOTTLEROCKET.versionProblem('1.14')).toMatch(/no Bottlerocket aws-k8s variant/);
  });
});

/** A stack with a private cluster whose proxy is `proxyUrl`, in us-east-1 or env-agnostic. */
function setup(proxyUrl: string = 'http://proxy.corp.example:3128', envAgnostic = false) {
  const stack = testStack(envAgnostic ? undefined : 'us-east-1');
  const vpc = isolatedVpc(stack);
  const privateCluster = new PrivateEksCluster(stack, 'Cluster', {
    vpc,
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    proxy: ProxySettings.fromUrl(proxyUrl),
  });
  return { stack, cluster: privateCluster };
}

/** Resolve rendered user data and join an Fn::Join with a placeholder for every token. */
function joined(stack: Stack, text: string): string {
  const resolved = stack.resolve(text);
  if (typeof resolved === 'string') {
    return resolved;
  }
  const [sep, parts] = resolved['Fn::Join'] as [string, unknown[]];
  return parts.map((p) => (typeof p === 'string' ? p : 'PLACEHOLDER')).join(sep);
}

describe('ProxiedNodeGroup with NodeFamily.BOTTLEROCKET', () => {
  const { stack, cluster: privateCluster } = setup();
  const group = privateCluster.addProxiedNodeGroup('Br', { family: NodeFamily.BOTTLEROCKET });
  const template = Template.fromStack(stack);

  test('the node group has the Bottlerocket x86_64 AMI type', () => {
    template.hasResourceProperties('AWS::EKS::Nodegroup', { AmiType: 'BOTTLEROCKET_x86_64' });
    expect(group.family.name).toBe('BOTTLEROCKET');
  });

  test('the launch template user data is one TOML document with the proxy as host:port', () => {
    const text = joined(stack, group.userData!.render());
    const settings = parse(text) as any;
    expect(Object.keys(settings.settings)).toEqual(['network']);
    expect(settings.settings.network['https-proxy']).toBe('proxy.corp.example:3128');
    expect(settings.settings.network['no-proxy']).toEqual(
      expect.arrayContaining([
        'localhost',
        '127.0.0.1',
        '169.254.169.254',
        '10.0.0.0/16',
        '.us-east-1.eks.amazonaws.com',
      ]),
    );
    expect(text).not.toContain('Content-Type');
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ UserData: { 'Fn::Base64': Match.anyValue() } }),
    });
  });

  test('the no-proxy list is the cluster list, complete and in order', () => {
    const text = joined(stack, group.userData!.render());
    const expected = privateCluster.noProxy.map((e) => joined(stack, e));
    expect((parse(text) as any).settings.network['no-proxy']).toEqual(expected);
  });
});

describe('ProxiedNodeGroup with NodeFamily.BOTTLEROCKET, other cases', () => {
  test('ARM instance types pick BOTTLEROCKET_ARM_64', () => {
    const { stack, cluster: privateCluster } = setup();
    privateCluster.addProxiedNodeGroup('Br', {
      family: NodeFamily.BOTTLEROCKET,
      instanceTypes: [new ec2.InstanceType('m7g.large')],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::EKS::Nodegroup', {
      AmiType: 'BOTTLEROCKET_ARM_64',
      InstanceTypes: ['m7g.large'],
    });
  });

  test('in an env-agnostic stack the region tokens resolve inside the TOML strings', () => {
    const { stack, cluster: privateCluster } = setup(undefined, true);
    const group = privateCluster.addProxiedNodeGroup('Br', { family: NodeFamily.BOTTLEROCKET });
    const resolved = stack.resolve(group.userData!.render());
    expect(resolved['Fn::Join'][1]).toContainEqual({ Ref: 'AWS::Region' });
    const settings = parse(joined(stack, group.userData!.render())) as any;
    expect(settings.settings.network['https-proxy']).toBe('proxy.corp.example:3128');
    expect(settings.settings.network['no-proxy']).toEqual(
      expect.arrayContaining(['localhost', '.PLACEHOLDER.eks.PLACEHOLDER']),
    );
  });

  test('an AL2023 AMI type is refused for the Bottlerocket family', () => {
    const { cluster: privateCluster } = setup();
    expect(() =>
      privateCluster.addProxiedNodeGroup('Br', {
        family: NodeFamily.BOTTLEROCKET,
        amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      }),
    ).toThrow(/not an AMI type of the BOTTLEROCKET node family/);
  });

  test('a pinned AMI carries the cluster details in [settings.kubernetes]', () => {
    const { stack, cluster: privateCluster } = setup();
    const group = privateCluster.addProxiedNodeGroup('Br', {
      family: NodeFamily.BOTTLEROCKET,
      machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }),
    });
    const resolved = JSON.stringify(stack.resolve(group.userData!.render()));
    expect(resolved).toMatch(/"Fn::GetAtt":\["Cluster[0-9A-Za-z]+","Endpoint"\]/);
    expect(resolved).toMatch(/"Fn::GetAtt":\["Cluster[0-9A-Za-z]+","CertificateAuthorityData"\]/);
    const settings = parse(joined(stack, group.userData!.render())) as any;
    expect(settings.settings.kubernetes).toEqual({
      'api-server': 'PLACEHOLDER',
      'cluster-certificate': 'PLACEHOLDER',
      'cluster-name': 'PLACEHOLDER',
      'cluster-dns-ip': '172.20.0.10',
    });
  });

  test('a token proxy URL throws a PrivateEksValidationError naming proxy', () => {
    const { cluster: privateCluster } = setup(Fn.importValue('P'));
    let caught: unknown;
    try {
      privateCluster.addProxiedNodeGroup('Br', { family: NodeFamily.BOTTLEROCKET });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PrivateEksValidationError);
    expect((caught as PrivateEksValidationError).prop).toBe('proxy');
    expect((caught as Error).message).toMatch(/^Test\/Cluster\/Br: proxy .*host:port/);
  });

  test('the same token proxy URL is fine for AL2023', () => {
    const { cluster: privateCluster } = setup(Fn.importValue('P'));
    expect(() => privateCluster.addProxiedNodeGroup('Al', {})).not.toThrow();
  });
});
