import { Aws, CfnParameter, Stack, Fn } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  EndpointPresets,
  EndpointService,
  EgressProxy,
  EndpointSet,
  EndpointSetProps,
  NodeFamily,
  PrivateEksCluster,
  PrivateEksErrors,
  ProxiedNodeGroupOptions,
  ProxyCredentials,
  ProxySettings,
} from '../lib';
import { resolvedLengthBound, userDataBytesBound, userDataSizeProblem } from '../lib/nodes/node-user-data';
import { fakeKubectlLayer, isolatedVpc, testStack } from './support/cdk';
import { validationErrorOf } from './support/errors';

const VERSION = eks.KubernetesVersion.V1_35;

/** A cluster in a fresh stack, with overridable VPC and props. */
function cluster(
  props: Partial<ConstructorParameters<typeof PrivateEksCluster>[2]> = {},
  vpcOf?: (s: Stack) => ec2.IVpc,
) {
  const stack = testStack('us-east-1');
  const vpc = vpcOf ? vpcOf(stack) : isolatedVpc(stack);
  return new PrivateEksCluster(stack, 'Cluster', {
    vpc,
    version: VERSION,
    kubectlLayer: fakeKubectlLayer(stack),
    proxy: ProxySettings.fromUrl('http://proxy:3128'),
    ...props,
  });
}

function endpointSet(props: Partial<EndpointSetProps>) {
  const stack = testStack('us-east-1');
  return new EndpointSet(stack, 'Endpoints', { vpc: isolatedVpc(stack), ...props });
}

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:proxy-AbCdEf';

function nodeGroup(options: ProxiedNodeGroupOptions) {
  cluster().addProxiedNodeGroup('Workers', options);
}

/** [what is wrong, the code that must throw, the prop named, a phrase of the fix] */
const cases: [string, () => unknown, string, RegExp][] = [
  [
    'proxy URL without scheme',
    () => ProxySettings.fromUrl('proxy.corp.example:3128'),
    'httpProxy',
    /http:\/\/proxy.corp.example:3128/,
  ],
  [
    'proxy URL with a socks scheme',
    () => ProxySettings.fromUrl('socks5://proxy:1080'),
    'httpProxy',
    /http:\/\/ or https:\/\//,
  ],
  ['proxy URL without port', () => ProxySettings.fromUrl('http://proxy'), 'httpProxy', /write it explicitly/],
  [
    'credentials in the proxy URL',
    () => ProxySettings.fromUrl('http://user:secret@proxy:3128'),
    'httpProxy',
    /Secrets Manager/,
  ],
  [
    'a % in the proxy password',
    () => ProxySettings.fromUrl('http://user:p%25ss@proxy:3128'),
    'httpProxy',
    /Secrets Manager/,
  ],
  [
    'a path in the proxy URL',
    () => ProxySettings.fromUrl('http://proxy:3128/pac'),
    'httpProxy',
    /only scheme, host and port/,
  ],
  [
    'proxy port out of range',
    () => ProxySettings.fromUrl('http://proxy:65536'),
    'httpProxy',
    /port your proxy listens on/,
  ],
  [
    'bad HTTPS proxy',
    () => ProxySettings.fromUrl('http://proxy:3128', { httpsProxy: 'proxy:3129' }),
    'httpsProxy',
    /scheme and port/,
  ],
  [
    'NO_PROXY entry with commas',
    () => ProxySettings.fromUrl('http://proxy:3128', { noProxy: ['a.example,b.example'] }),
    'noProxy[0]',
    /one per element/,
  ],
  [
    'NO_PROXY entry with a space',
    () => ProxySettings.fromUrl('http://proxy:3128', { noProxy: ['.ok', 'bad host'] }),
    'noProxy[1]',
    /host names, domains/,
  ],
  [
    'a NO_PROXY CIDR that covers half of the internet',
    () => ProxySettings.fromUrl('http://proxy:3128', { noProxy: ['0.0.0.0/1'] }),
    'noProxy[0]',
    /covers more than a \/8/,
  ],
  [
    'a NO_PROXY IPv6 CIDR with a prefix over /128',
    () => ProxySettings.fromUrl('http://proxy:3128', { noProxy: ['fd00::/129'] }),
    'noProxy[0]',
    /longer than \/128/,
  ],
  [
    'a NO_PROXY entry with an unclosed bracket',
    () => ProxySettings.fromUrl('http://proxy:3128', { noProxy: ['[::1'] }),
    'noProxy[0]',
    /not a host name/,
  ],
  [
    'a proxy host that is missing (fromHost(undefined) gave http://undefined:3128)',
    () => ProxySettings.fromHost(undefined as unknown as string, 3128),
    'host',
    /bracketed IPv6/,
  ],
  [
    'a proxy port that is not a whole number',
    () => ProxySettings.fromHost('proxy.corp.example', 2.5),
    'port',
    /1-65535/,
  ],
  [
    'a proxy URL whose host is not an IPv4 address',
    () => ProxySettings.fromUrl('http://300.1.1.1:3128'),
    'httpProxy',
    /DNS name, an IPv4 address/,
  ],
  [
    'empty NO_PROXY entry',
    () => ProxySettings.fromUrl('http://proxy:3128', { noProxy: [''] }),
    'noProxy[0]',
    /one per element/,
  ],
  [
    'service CIDR overlapping the VPC',
    () => cluster({ serviceIpv4Cidr: '10.0.0.0/16' }),
    'serviceIpv4Cidr',
    /outside the VPC/,
  ],
  ['service CIDR too large', () => cluster({ serviceIpv4Cidr: '10.0.0.0/8' }), 'serviceIpv4Cidr', /\/12 to \/24/],
  [
    'service CIDR outside private ranges',
    () => cluster({ serviceIpv4Cidr: '100.64.0.0/16' }),
    'serviceIpv4Cidr',
    /private block/,
  ],
  [
    'service CIDR with host bits',
    () => cluster({ serviceIpv4Cidr: '172.20.0.1/16' }),
    'serviceIpv4Cidr',
    /172.20.0.0\/16/,
  ],
  [
    'VPC without DNS support',
    () => cluster({}, (s) => isolatedVpc(s, '10.0.0.0/16', { enableDnsSupport: false })),
    'vpc',
    /enableDnsSupport: true/,
  ],
  [
    'VPC without DNS host names',
    () => cluster({}, (s) => isolatedVpc(s, '10.0.0.0/16', { enableDnsHostnames: false })),
    'vpc',
    /enableDnsHostnames: true/,
  ],
  [
    'VPC with public subnets only',
    () =>
      cluster(
        {},
        (s) =>
          new ec2.Vpc(s, 'Vpc', {
            maxAzs: 2,
            natGateways: 0,
            subnetConfiguration: [{ name: 'pub', subnetType: ec2.SubnetType.PUBLIC }],
          }),
      ),
    'vpc',
    /PRIVATE_WITH_EGRESS or PRIVATE_ISOLATED/,
  ],
  [
    'imported VPC with unknown CIDR and no service CIDR',
    () =>
      cluster({}, (s) =>
        ec2.Vpc.fromVpcAttributes(s, 'Vpc', {
          vpcId: 'vpc-1',
          vpcCidrBlock: Fn.importValue('VpcCidr'),
          availabilityZones: ['a', 'b'],
          isolatedSubnetIds: ['s1', 's2'],
        }),
      ),
    'serviceIpv4Cidr',
    /Set serviceIpv4Cidr explicitly/,
  ],
  [
    'an EndpointSet allowed CIDR that is not a CIDR',
    () => endpointSet({ allowedCidrs: ['not-a-cidr'] }),
    'allowedCidrs[0]',
    /a\.b\.c\.d\/n/,
  ],
  [
    'an EndpointSet allowed CIDR with host bits',
    () => endpointSet({ allowedCidrs: ['10.0.0.1/16'] }),
    'allowedCidrs[0]',
    /host bits zero/,
  ],
  [
    'an EndpointSet allowed CIDR of the whole internet',
    () => endpointSet({ allowedCidrs: ['0.0.0.0/0'] }),
    'allowedCidrs[0]',
    /on-premises ranges/,
  ],
  [
    'an S3 bucket * (every bucket)',
    () => endpointSet({ additionalS3Buckets: ['*'] }),
    'additionalS3Buckets[0]',
    /my-artifacts-\*/,
  ],
  [
    'an S3 bucket name with capitals and an underscore',
    () => endpointSet({ additionalS3Buckets: ['My_Bucket'] }),
    'additionalS3Buckets[0]',
    /not an S3 bucket name/,
  ],
  [
    'an S3 bucket name formatted as an IP address',
    () => endpointSet({ additionalS3Buckets: ['192.168.1.1'] }),
    'additionalS3Buckets[0]',
    /IP address/,
  ],
  [
    'proxy credentials whose password key is the user name key',
    () => {
      const stack = testStack('us-east-1');
      const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'S', SECRET_ARN);
      return ProxyCredentials.fromSecret(secret, { usernameKey: 'user', passwordKey: 'user' });
    },
    'passwordKey',
    /Use two keys/,
  ],
  [
    'a custom interface endpoint host that would run as shell in /etc/environment',
    () => EndpointService.interfaceService('ecs', 'ecs$(touch /tmp/pwned)'),
    'hostPrefix',
    /com\.amazonaws\.REGION\./,
  ],
  [
    'a custom interface endpoint service with a space',
    () => EndpointService.interfaceService('my service'),
    'name',
    /for example 'ecs'/,
  ],
  [
    'a custom interface endpoint service given as a deploy-time value',
    () => EndpointService.interfaceService(Fn.importValue('Svc')),
    'name',
    /known at synth time/,
  ],
  [
    'endpoints and endpointServices together',
    () => {
      const stack = testStack('us-east-1');
      const vpc = isolatedVpc(stack);
      return new PrivateEksCluster(stack, 'Cluster', {
        vpc,
        version: VERSION,
        kubectlLayer: fakeKubectlLayer(stack),
        endpoints: new EndpointSet(stack, 'E', { vpc }),
        endpointServices: [EndpointService.EC2],
      });
    },
    'endpointServices',
    /Configure the services on the EndpointSet/,
  ],
  [
    'no proxy and no endpoint for the kubectl provider',
    () => cluster({ proxy: undefined, endpointServices: EndpointPresets.nodes() }),
    'endpoints',
    /EndpointPresets.kubectlProvider\(\)/,
  ],
  [
    'a proxy but no Lambda endpoint for the provider framework',
    () => cluster({ endpointServices: [...EndpointPresets.nodes(), EndpointService.EKS] }),
    'endpoints',
    /EndpointService.LAMBDA and EndpointService.S3/,
  ],
  [
    'no proxy and no route to ECR/EC2 for nodes',
    () =>
      cluster({ proxy: undefined, endpointServices: EndpointPresets.kubectlProvider() }).addProxiedNodeGroup('Workers'),
    'cluster',
    /EndpointPresets.nodes\(\)/,
  ],
  [
    'an AMI type of another family',
    () => nodeGroup({ amiType: eks.NodegroupAmiType.BOTTLEROCKET_X86_64 }),
    'amiType',
    /pick the node family that matches/,
  ],
  [
    'an AL2 AMI type on the AL2023 family',
    () => nodeGroup({ amiType: eks.NodegroupAmiType.AL2_X86_64 }),
    'amiType',
    /AL2023_x86_64_STANDARD/,
  ],
  [
    'amiType with a custom machine image',
    () =>
      nodeGroup({
        amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
        machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }),
      }),
    'amiType',
    /Drop amiType/,
  ],
  [
    'ARM instances with an x86 AMI',
    () =>
      nodeGroup({
        instanceTypes: [new ec2.InstanceType('m7g.large')],
        amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      }),
    'amiType',
    /AL2023_ARM_64_STANDARD/,
  ],
  [
    'mixed architectures',
    () => nodeGroup({ instanceTypes: [new ec2.InstanceType('m7g.large'), new ec2.InstanceType('m7i.large')] }),
    'instanceTypes',
    /one node group per architecture/,
  ],
  [
    'the standard AMI type on GPU instances',
    () =>
      nodeGroup({
        instanceTypes: [new ec2.InstanceType('g5.xlarge')],
        amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      }),
    'amiType',
    /Use AL2023_x86_64_NVIDIA/,
  ],
  [
    'AMD GPU instances, for which no EKS AMI exists',
    () => nodeGroup({ instanceTypes: [new ec2.InstanceType('g4ad.xlarge')] }),
    'amiType',
    /machineImage of your own/,
  ],
  [
    'a self-managed group on AMD GPU instances',
    () => cluster().addSelfManagedNodeGroup('Self', { instanceTypes: [new ec2.InstanceType('g4ad.xlarge')] }),
    'machineImage',
    /machineImage of your own/,
  ],
  [
    'GPU and plain instances in one group',
    () => nodeGroup({ instanceTypes: [new ec2.InstanceType('g5.xlarge'), new ec2.InstanceType('m7i.xlarge')] }),
    'instanceTypes',
    /one node group per accelerator/,
  ],
  [
    'Bottlerocket nodes behind an https:// proxy',
    () =>
      cluster({ proxy: ProxySettings.fromUrl('https://proxy:3129') }).addProxiedNodeGroup('Workers', {
        family: NodeFamily.BOTTLEROCKET,
      }),
    'proxy.httpsProxy',
    /plain-HTTP address/,
  ],
  [
    'both EKS default service CIDRs overlap the VPC',
    () =>
      cluster({}, (s) => {
        const vpc = isolatedVpc(s);
        new ec2.CfnVPCCidrBlock(s, 'A', { vpcId: vpc.vpcId, cidrBlock: '172.20.0.0/16' });
        new ec2.CfnVPCCidrBlock(s, 'B', { vpcId: vpc.vpcId, cidrBlock: '10.100.0.0/16' });
        return vpc;
      }),
    'serviceIpv4Cidr',
    /outside every VPC CIDR/,
  ],
  [
    'an egress proxy allowed to reach every private address',
    () => {
      const stack = testStack('us-east-1');
      new EgressProxy(stack, 'Egress', {
        vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 }),
        allowedPrivateDestinations: ['0.0.0.0/0'],
      });
    },
    'allowedPrivateDestinations[0]',
    /Give the private networks/,
  ],
  ['maxSize below minSize', () => nodeGroup({ minSize: 3, maxSize: 2 }), 'maxSize', /Raise maxSize/],
  ['desiredSize above maxSize', () => nodeGroup({ desiredSize: 5, maxSize: 2 }), 'desiredSize', /Lower desiredSize/],
  ['negative minSize', () => nodeGroup({ minSize: -1 }), 'minSize', /0 or more/],
  ['a fractional minSize', () => nodeGroup({ minSize: 2.5 }), 'minSize', /whole number of nodes/],
  ['a desiredSize that is not a number', () => nodeGroup({ desiredSize: NaN }), 'desiredSize', /whole number of nodes/],
  ['node subnets that select nothing', () => nodeGroup({ subnets: { subnets: [] } }), 'subnets', /selects no subnet/],
  [
    'cluster subnets in a single Availability Zone',
    () => cluster({}, (stack) => isolatedVpc(stack, '10.0.0.0/16', { maxAzs: 1 })),
    'subnets',
    /at least 2 Availability Zones/,
  ],
  [
    'a self-managed group with no room above its nodes for a rolling update',
    () => cluster().addSelfManagedNodeGroup('Self', { minSize: 1, maxSize: 1 }),
    'maxSize',
    /Raise maxSize to at least 2/,
  ],
  ['hop limit 0', () => nodeGroup({ httpPutResponseHopLimit: 0 }), 'httpPutResponseHopLimit', /1 or 2 for EKS nodes/],
  ['data volume smaller than the AMI', () => nodeGroup({ dataVolumeSize: 8 }), 'dataVolumeSize', /at least 20 GiB/],
  ['a label key with a space', () => nodeGroup({ labels: { 'ro le': 'x' } }), 'labels', /Kubernetes label syntax/],
  [
    'a label value that would add a kubelet flag',
    () => nodeGroup({ labels: { role: 'x --anonymous-auth=true' } }),
    'labels',
    /value of 'role': .* must be empty or at most 63/,
  ],
  [
    'a label value with a newline (breaks YAML and shell)',
    () => nodeGroup({ labels: { role: 'a\nb' } }),
    'labels',
    /Kubernetes label syntax/,
  ],
  [
    'a taint key with a quote',
    () => nodeGroup({ taints: [{ key: "it's", value: 'x', effect: eks.TaintEffect.NO_SCHEDULE }] }),
    'taints',
    /key 'it's'/,
  ],
  [
    'a taint without a key',
    () => nodeGroup({ taints: [{ value: 'x', effect: eks.TaintEffect.NO_SCHEDULE }] }),
    'taints',
    /without a key/,
  ],
  [
    'a deploy-time label value on a self-managed group (it would be written into kubelet flags)',
    () =>
      cluster().addSelfManagedNodeGroup('Self', {
        instanceTypes: [new ec2.InstanceType('m7i.large')],
        labels: { role: Fn.importValue('RoleLabel') },
      }),
    'labels',
    /managed node group/,
  ],
  [
    'NO_PROXY too long for the kubectl Lambda environment',
    () =>
      cluster({
        proxy: ProxySettings.fromUrl('http://proxy:3128', {
          noProxy: Array.from({ length: 120 }, (_, i) => `host-${i}.a-long-internal-domain.corp.example`),
        }),
      }),
    'proxy.noProxy',
    /fewer, broader NO_PROXY entries/,
  ],
  [
    'a DaemonSet patch without containers',
    () => cluster({ additionalProxiedDaemonSets: [{ name: 'fluent-bit', containers: [] }] }),
    'additionalProxiedDaemonSets[fluent-bit].containers',
    /Name the containers/,
  ],
];

describe('synth-time errors', () => {
  test('there are at least 20 bad inputs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  test.each(cases)('%s', (_what, build, prop, fix) => {
    const err = validationErrorOf(build);
    expect(err.prop).toBe(prop);
    // `<construct path or value object>: <prop> <what is wrong>. <how to fix>`
    expect(err.message).toMatch(
      new RegExp(`^(Test/[\\w/]+|ProxySettings|ProxyCredentials|EndpointService): ${prop.replace(/[[\].]/g, '\\$&')} `),
    );
    expect(err.message).toMatch(fix);
  });

  test('user data over 16 KB is refused (the Lambda environment limit on NO_PROXY pre-empts it today)', () => {
    expect(userDataSizeProblem(16 * 1024 + 1)).toMatch(/is 16385 bytes, over the EC2 limit of 16384 bytes/);
    expect(userDataSizeProblem(16 * 1024)).toBeUndefined();
  });

  test('user data is counted at its resolved size: tokens at the longest they resolve to, base64 at 4/3', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'V');
    // 10 + 14 (the region at its longest) + 3 + 18 (a CIDR) = 45 bytes, 60 as base64.
    const text = `localhost,${Aws.REGION}.x,${vpc.vpcCidrBlock}`;
    expect(resolvedLengthBound(stack.resolve(text))).toBe(45);
    expect(userDataBytesBound(stack, `#!${Fn.base64(text)}`)).toBe(62);
  });

  test("a self-managed group's user data counts the cluster CA (once: the ready signal reads nodeadm's copy) at its real size", () => {
    const stack = testStack('us-east-1');
    const cluster = new PrivateEksCluster(stack, 'Cluster', {
      vpc: isolatedVpc(stack),
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: fakeKubectlLayer(stack),
      proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128'),
    });
    const group = cluster.addSelfManagedNodeGroup('Sm');
    const rendered = group.userData!.render();
    const excess = userDataBytesBound(group, rendered) - Buffer.byteLength(rendered);
    expect(excess).toBeGreaterThan(1400);
    expect(excess).toBeLessThan(2 * 1400);
  });

  /** Warnings about user data over EC2's 16 KB once resolved, by construct path. */
  function sizeWarnings(stack: Stack): string[] {
    return Annotations.fromStack(stack)
      .findWarning('*', Match.stringLikeRegexp('userData can be'))
      .map((w) => w.id);
  }

  test('self-managed nodes with the proxy as parameters fit in 16 KB once resolved (the CA is carried once)', () => {
    const stack = testStack('us-east-1');
    const host = new CfnParameter(stack, 'ProxyHost');
    const noProxy = new CfnParameter(stack, 'NoProxy');
    const cluster = new PrivateEksCluster(stack, 'Cluster', {
      vpc: isolatedVpc(stack),
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: fakeKubectlLayer(stack),
      serviceIpv4Cidr: '172.20.0.0/16',
      proxy: ProxySettings.fromHost(host.valueAsString, 3128, { noProxy: [noProxy.valueAsString] }),
      endpointServices: [...EndpointPresets.minimal(), EndpointService.CLOUDFORMATION],
    });
    const group = cluster.addSelfManagedNodeGroup('Sm');
    cluster.addProxiedNodeGroup('Managed');
    const bound = userDataBytesBound(group, group.userData!.render());
    expect(bound).toBeGreaterThan(15 * 1024);
    expect(bound).toBeLessThanOrEqual(16 * 1024);
    expect(sizeWarnings(stack)).toEqual([]);
  });

  /** A cluster behind an authenticating proxy, with `extra` NO_PROXY entries, and a self-managed group. */
  function authenticatedSelfManaged(extra: string[]) {
    const stack = testStack('us-east-1');
    const cluster = new PrivateEksCluster(stack, 'Cluster', {
      vpc: isolatedVpc(stack),
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: fakeKubectlLayer(stack),
      proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', {
        noProxy: extra,
        credentials: ProxyCredentials.fromSecret(new secretsmanager.Secret(stack, 'ProxySecret')),
      }),
    });
    const group = cluster.addSelfManagedNodeGroup('Sm');
    cluster.addProxiedNodeGroup('Managed');
    return { stack, group };
  }

  test('self-managed nodes behind an authenticating proxy fit in 16 KB once resolved', () => {
    const { stack, group } = authenticatedSelfManaged([]);
    expect(userDataBytesBound(group, group.userData!.render())).toBeLessThanOrEqual(16 * 1024);
    expect(sizeWarnings(stack)).toEqual([]);
  });

  test('with a long NO_PROXY list they get a warning naming the group: their user data can pass 16 KB once resolved', () => {
    const extra = Array.from({ length: 30 }, (_, i) => `.team-${i}.corp.example`);
    const { stack } = authenticatedSelfManaged(extra);
    expect(sizeWarnings(stack)).toEqual(['/Test/Cluster/Sm']);
    const warning = Annotations.fromStack(stack).findWarning('/Test/Cluster/Sm', Match.stringLikeRegexp('userData'));
    expect(String(warning[0].entry.data)).toMatch(/userData can be up to 1[6-9]\d{3} bytes .*managed node group/);
  });

  test('tokens are not validated at synth time', () => {
    const stack = testStack('us-east-1');
    expect(() =>
      ProxySettings.fromUrl(Fn.importValue('ProxyUrl'), { noProxy: [Fn.importValue('Extra')] }),
    ).not.toThrow();
    expect(
      () =>
        new PrivateEksCluster(stack, 'Cluster', {
          vpc: isolatedVpc(stack),
          version: VERSION,
          kubectlLayer: fakeKubectlLayer(stack),
          serviceIpv4Cidr: Fn.importValue('Cidr'),
          proxy: ProxySettings.fromUrl('http://proxy:3128'),
        }),
    ).not.toThrow();
  });

  test('errors from other code are not ours', () => {
    expect(PrivateEksErrors.isValidationError(new Error('x'))).toBe(false);
  });
});
