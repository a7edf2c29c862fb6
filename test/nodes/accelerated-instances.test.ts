/** GPU, Inferentia and Trainium instance types get the family's accelerated AMI, or an error naming the prop. */
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { NodeFamily, ProxiedNodeGroupOptions } from '../../lib';
import { acceleratorOf } from '../../lib/nodes/node-group-base';
import { validationErrorOf } from '../support/errors';
import { proxiedCluster } from '../support/cluster';

const setup = proxiedCluster;

const types = (...names: string[]) => names.map((n) => new ec2.InstanceType(n));

function managedAmiType(options: ProxiedNodeGroupOptions): string {
  const { stack, cluster } = setup();
  cluster.addProxiedNodeGroup('Nodes', options);
  const ng = Object.values(Template.fromStack(stack).findResources('AWS::EKS::Nodegroup'))[0] as any;
  return ng.Properties.AmiType;
}

test.each([
  ['g5.xlarge', 'nvidia'],
  ['p5.48xlarge', 'nvidia'],
  ['p6-b200.48xlarge', 'nvidia'],
  ['g5g.xlarge', 'nvidia'],
  ['gr6.4xlarge', 'nvidia'],
  ['g4ad.xlarge', 'amd'],
  ['inf2.xlarge', 'neuron'],
  ['trn1.2xlarge', 'neuron'],
  ['trn2.48xlarge', 'neuron'],
  ['m7i.large', undefined],
  ['t3.medium', undefined],
  ['i4g.large', undefined],
])('%s has accelerator %s', (name, expected) => {
  expect(acceleratorOf(new ec2.InstanceType(name))).toBe(expected);
});

test.each([
  [['g5.xlarge', 'g6.xlarge'], 'AL2023_x86_64_NVIDIA'],
  [['g5g.xlarge'], 'AL2023_ARM_64_NVIDIA'],
  [['inf2.xlarge'], 'AL2023_x86_64_NEURON'],
  [['trn1.2xlarge'], 'AL2023_x86_64_NEURON'],
  [['m7i.large'], 'AL2023_x86_64_STANDARD'],
])('AL2023 managed nodes on %j get %s by default', (names, amiType) => {
  expect(managedAmiType({ instanceTypes: types(...names) })).toBe(amiType);
});

test('Bottlerocket and AL2 pick their own NVIDIA AMI types', () => {
  expect(managedAmiType({ instanceTypes: types('g5.xlarge'), family: NodeFamily.BOTTLEROCKET })).toBe(
    'BOTTLEROCKET_x86_64_NVIDIA',
  );
  expect(managedAmiType({ instanceTypes: types('g5g.xlarge'), family: NodeFamily.BOTTLEROCKET })).toBe(
    'BOTTLEROCKET_ARM_64_NVIDIA',
  );
});

test('an explicit accelerated amiType that matches is kept', () => {
  expect(
    managedAmiType({ instanceTypes: types('g5.xlarge'), amiType: eks.NodegroupAmiType.AL2023_X86_64_NVIDIA }),
  ).toBe('AL2023_x86_64_NVIDIA');
});

describe('errors name amiType (or instanceTypes, machineImage) and the value to use', () => {
  const managed = (options: ProxiedNodeGroupOptions) => () => setup().cluster.addProxiedNodeGroup('Nodes', options);

  test.each([
    [
      'the standard AMI type on GPU instances',
      managed({ instanceTypes: types('g5.xlarge'), amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD }),
      'amiType',
      /is AL2023_x86_64_STANDARD but the instance types \(g5\.xlarge\) have NVIDIA GPUs\. Use AL2023_x86_64_NVIDIA/,
    ],
    [
      'the NVIDIA AMI type on Neuron instances',
      managed({ instanceTypes: types('inf2.xlarge'), amiType: eks.NodegroupAmiType.AL2023_X86_64_NVIDIA }),
      'amiType',
      /Use AL2023_x86_64_NEURON/,
    ],
    [
      'an accelerated AMI type on plain instances',
      managed({ instanceTypes: types('m7i.large'), amiType: eks.NodegroupAmiType.AL2023_X86_64_NVIDIA }),
      'amiType',
      /have no accelerator\. Use AL2023_x86_64_STANDARD/,
    ],
    [
      'AMD GPU instances',
      managed({ instanceTypes: types('g4ad.xlarge') }),
      'amiType',
      /AMD GPUs.*No EKS-optimized AMI drives AMD GPUs/,
    ],
    [
      'Neuron instances on Bottlerocket',
      managed({ instanceTypes: types('inf2.xlarge'), family: NodeFamily.BOTTLEROCKET }),
      'amiType',
      /AWS Neuron accelerators.*BOTTLEROCKET node family has no x86_64 EKS AMI type/,
    ],
    [
      'GPU and plain instances in one group',
      managed({ instanceTypes: types('g5.xlarge', 'm7i.xlarge') }),
      'instanceTypes',
      /mixes accelerators \(nvidia, none\).*one node group per accelerator/,
    ],
    [
      'a self-managed AMD GPU group',
      () => setup().cluster.addSelfManagedNodeGroup('Nodes', { instanceTypes: types('g4ad.xlarge') }),
      'machineImage',
      /No EKS-optimized AMI drives AMD GPUs/,
    ],
  ])('%s', (_what, build, prop, message) => {
    const err = validationErrorOf(build);
    expect(err.prop).toBe(prop);
    expect(err.message).toMatch(message);
  });
});

test.each([
  [
    NodeFamily.AMAZON_LINUX_2023,
    'g5.xlarge',
    '/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/nvidia/recommended/image_id',
  ],
  [
    NodeFamily.AMAZON_LINUX_2023,
    'g5g.xlarge',
    '/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/arm64/nvidia/recommended/image_id',
  ],
  [
    NodeFamily.AMAZON_LINUX_2023,
    'trn1.2xlarge',
    '/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/neuron/recommended/image_id',
  ],
  [NodeFamily.BOTTLEROCKET, 'g5.xlarge', '/aws/service/bottlerocket/aws-k8s-1.35-nvidia/x86_64/latest/image_id'],
])('self-managed %s nodes on %s boot the accelerated AMI', (family, name, parameter) => {
  const { stack, cluster } = setup();
  cluster.addSelfManagedNodeGroup('Nodes', { family, instanceTypes: types(name) });
  const parameters = Object.values(Template.fromStack(stack).toJSON().Parameters).map((p: any) => p.Default);
  expect(parameters).toContain(parameter);
});
