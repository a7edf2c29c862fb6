/** EKS Auto Mode on PrivateEksCluster (lib/automode/auto-mode.ts): compute config, node role, access entry, manifests. */
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Stack } from 'aws-cdk-lib';
import {
  AddonProfile,
  AutoModeOptions,
  EndpointPresets,
  PrivateEksCluster,
  ProxyCredentials,
  ProxySettings,
} from '../../lib';
import { NODE_CLASS_NAME } from '../../lib/automode/manifests';
import { fakeKubectlLayer, isolatedVpc, testStack, tokenText } from '../support/cdk';
import { validationErrorOf } from '../support/errors';

function autoModeCluster(stack: Stack, autoMode: AutoModeOptions = {}, proxy?: ProxySettings) {
  return new PrivateEksCluster(stack, 'Cluster', {
    vpc: isolatedVpc(stack),
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    proxy: proxy ?? ProxySettings.fromUrl('http://proxy.corp.example:3128', { noProxy: ['.corp.example'] }),
    autoMode,
  });
}

/** The manifests applied by the kubectl provider, parsed. */
function manifests(template: Template): Array<{ id: string; objects: any[]; dependsOn: string[] }> {
  return Object.entries(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'))
    .filter(([, r]: [string, any]) => r.Properties.Manifest !== undefined)
    .map(([id, r]: [string, any]) => ({
      id,
      objects: JSON.parse(tokenText(r.Properties.Manifest)),
      dependsOn: r.DependsOn ?? [],
    }));
}

test('compute config on without the built-in pools, the node role with the documented policies and its EC2 access entry', () => {
  const stack = testStack('eu-west-1');
  autoModeCluster(stack);
  const template = Template.fromStack(stack);
  const cluster = Object.values(template.findResources('AWS::EKS::Cluster'))[0] as any;
  expect(cluster.Properties.ComputeConfig).toEqual({ Enabled: true, NodePools: [] });
  expect(cluster.Properties.StorageConfig).toEqual({ BlockStorage: { Enabled: true } });
  template.hasResourceProperties('AWS::IAM::Role', {
    AssumeRolePolicyDocument: Match.objectLike({
      Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
    }),
    ManagedPolicyArns: [
      Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':iam::aws:policy/AmazonEKSWorkerNodeMinimalPolicy'])] }),
      Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':iam::aws:policy/AmazonEC2ContainerRegistryPullOnly'])] }),
    ],
  });
  template.hasResourceProperties('AWS::EKS::AccessEntry', {
    Type: 'EC2',
    AccessPolicies: [
      Match.objectLike({
        PolicyArn: Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([':eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy'])],
        }),
        AccessScope: { Type: 'cluster' },
      }),
    ],
  });
});

test('the NodeClass carries the proxy and the compacted NO_PROXY; the NodePools wait for it; aws-node is not patched', () => {
  const stack = testStack('eu-west-1');
  const cluster = autoModeCluster(stack);
  const template = Template.fromStack(stack);
  const all = manifests(template);
  const nodeClass = all.find((m) => m.objects.some((o) => o.kind === 'NodeClass'))!;
  const pools = all.find((m) => m.objects.some((o) => o.kind === 'NodePool'))!;
  const spec = nodeClass.objects[0].spec;
  expect(spec.advancedNetworking.httpsProxy).toBe('http://proxy.corp.example:3128');
  // Subnet ids, the security group and the role are deploy-time values, carried as data in the manifest.
  expect(spec.role).toBe('<TOKEN>');
  expect(spec.subnetSelectorTerms).toEqual([{ id: '<TOKEN>' }, { id: '<TOKEN>' }]);
  expect(spec.advancedNetworking.noProxy.length).toBeLessThanOrEqual(50);
  expect(spec.advancedNetworking.noProxy).toEqual(expect.arrayContaining(['.corp.example', 'localhost']));
  expect(cluster.noProxy).toEqual(expect.arrayContaining(spec.advancedNetworking.noProxy));
  expect(pools.objects.map((p) => p.spec.template.spec.nodeClassRef.name)).toEqual([NODE_CLASS_NAME, NODE_CLASS_NAME]);
  expect(pools.dependsOn).toContain(nodeClass.id);
  expect(template.findResources('Custom::AWSCDK-EKS-KubernetesPatch')).toEqual({});
  expect(all.some((m) => m.objects.some((o) => o.kind === 'ConfigMap'))).toBe(true);
});

test('keeping a built-in pool: the role goes into the compute config (EKS makes its access entry), with a warning', () => {
  const stack = testStack('eu-west-1');
  autoModeCluster(stack, { builtInNodePools: ['system'] });
  const template = Template.fromStack(stack);
  const cluster = Object.values(template.findResources('AWS::EKS::Cluster'))[0] as any;
  expect(cluster.Properties.ComputeConfig.NodePools).toEqual(['system']);
  expect(cluster.Properties.ComputeConfig.NodeRoleArn).toBeDefined();
  expect(
    Object.values(template.findResources('AWS::EKS::AccessEntry')).filter((e: any) => e.Properties.Type === 'EC2'),
  ).toEqual([]);
  Annotations.fromStack(stack).hasWarning(
    '/Test/Cluster',
    Match.stringLikeRegexp('default NodeClass, which has no proxy'),
  );
});

test.each<[string, (stack: Stack) => void, string, RegExp]>([
  [
    'a proxy with credentials',
    (stack) =>
      autoModeCluster(
        stack,
        {},
        ProxySettings.fromUrl('http://proxy.corp.example:3128', {
          credentials: ProxyCredentials.fromSecret(
            secretsmanager.Secret.fromSecretCompleteArn(
              stack,
              'S',
              'arn:aws:secretsmanager:eu-west-1:111122223333:secret:p-AbCdEf',
            ),
          ),
        }),
      ),
    'proxy.credentials',
    /no place for proxy credentials/,
  ],
  [
    'an unknown built-in pool',
    (stack) => autoModeCluster(stack, { builtInNodePools: ['gpu'] }),
    'autoMode.builtInNodePools[0]',
    /not a built-in node pool/,
  ],
])('%s is refused naming the prop', (_name, build, prop, why) => {
  const error = validationErrorOf(() => build(testStack('eu-west-1')));
  expect(error.prop).toBe(prop);
  expect(error.message).toMatch(why);
});

describe('the endpoints Auto Mode nodes need', () => {
  test('without a proxy, an EndpointSet without the node services is refused naming autoMode', () => {
    const stack = testStack('eu-west-1');
    const error = validationErrorOf(
      () =>
        new PrivateEksCluster(stack, 'Cluster', {
          vpc: isolatedVpc(stack),
          version: eks.KubernetesVersion.V1_35,
          kubectlLayer: fakeKubectlLayer(stack),
          endpointServices: EndpointPresets.kubectlProvider(),
          autoMode: {},
        }),
    );
    expect(error.prop).toBe('autoMode');
    expect(error.message).toMatch(/has no endpoint for ec2, ecr\.api, ecr\.dkr.*Auto Mode nodes/);
  });

  test('the default endpoints serve them, and a warning says what the user guide does not list', () => {
    const stack = testStack('eu-west-1');
    new PrivateEksCluster(stack, 'Cluster', {
      vpc: isolatedVpc(stack),
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: fakeKubectlLayer(stack),
      autoMode: {},
    });
    Annotations.fromStack(stack).hasWarning(
      '/Test/Cluster/AutoMode',
      Match.stringLikeRegexp('lists no VPC endpoints for Auto Mode nodes.*required \\(EndpointPresets.nodes\\(\\)\\)'),
    );
  });
});

test.each([
  ['vpc-cni', AddonProfile.VPC_CNI],
  ['kube-proxy', AddonProfile.KUBE_PROXY],
])(
  'the %s add-on is refused on an Auto Mode cluster (Auto Mode runs it itself; its patch would fail)',
  (_name, addon) => {
    const stack = testStack('eu-west-1');
    const cluster = autoModeCluster(stack);
    const error = validationErrorOf(() => cluster.addAddon({ addon }));
    expect(error.prop).toBe('addons');
    expect(error.message).toMatch(/EKS Auto Mode runs itself/);
  },
);
