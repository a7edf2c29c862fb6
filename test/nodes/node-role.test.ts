/** The node roles both kinds of group create: the EKS user guide's policies, ECR pull-only, Session Manager only when asked. */
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ProxiedNodeGroup } from '../../lib';
import { proxiedCluster } from '../support/cluster';

const setup = proxiedCluster;

/** The AWS managed policy names attached to a role, by the role's logical id. */
function managedPolicies(template: Template, logicalId: string): string[] {
  const role = template.toJSON().Resources[logicalId];
  return (role.Properties.ManagedPolicyArns ?? []).map((arn: any) =>
    String(arn['Fn::Join'][1].at(-1)).replace(':iam::aws:policy/', ''),
  );
}

const EKS_NODE_POLICIES = ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryPullOnly'];

test.each([
  ['managed', false],
  ['managed', true],
  ['self-managed', false],
  ['self-managed', true],
] as const)('%s nodes (sessionManager %s): EKS node policies with ECR pull-only; SSM only when asked', (kind, ssm) => {
  const { stack, cluster } = setup();
  const role =
    kind === 'managed'
      ? cluster.addProxiedNodeGroup('Nodes', { sessionManager: ssm }).nodegroup.role
      : cluster.addSelfManagedNodeGroup('Nodes', { sessionManager: ssm }).role;
  const template = Template.fromStack(stack);
  const policies = managedPolicies(template, stack.getLogicalId((role as iam.Role).node.defaultChild as any));
  expect(policies).toEqual([...EKS_NODE_POLICIES, ...(ssm ? ['AmazonSSMManagedInstanceCore'] : [])]);
});

test('the managed node group uses our role, not one of aws-eks-v2 with ECR read-only', () => {
  const { stack, cluster } = setup();
  const group = cluster.addProxiedNodeGroup('Nodes');
  const template = Template.fromStack(stack);
  const roles = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.includes('Nodes'));
  expect(roles).toEqual([stack.getLogicalId(group.nodegroup.role.node.defaultChild as any)]);
  expect(roles[0]).toMatch(/NodesNodeRole/);
});

test('a given nodeRole is used as is', () => {
  const { stack, cluster } = setup();
  const nodeRole = new iam.Role(stack, 'Mine', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  expect(cluster.addProxiedNodeGroup('Nodes', { nodeRole, sessionManager: true }).nodegroup.role).toBe(nodeRole);
  expect(
    cluster.addSelfManagedNodeGroup('Self', { nodeRole, instanceTypes: [new ec2.InstanceType('m7i.large')] }).role,
  ).toBe(nodeRole);
  expect(managedPolicies(Template.fromStack(stack), stack.getLogicalId(nodeRole.node.defaultChild as any))).toEqual([]);
});

test('an IPv6 cluster: the node role may assign IPv6 addresses, as aws-eks-v2 gives its own node roles', () => {
  const { stack, cluster } = setup();
  const ipv6 = Object.create(cluster.cluster, { ipFamily: { value: eks.IpFamily.IP_V6 } });
  const group = new ProxiedNodeGroup(stack, 'V6', {
    nodeContext: { ...cluster.nodeContext, cluster: ipv6, grantProxyCredentials: () => undefined },
  });
  Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: [
        {
          Action: ['ec2:AssignIpv6Addresses', 'ec2:UnassignIpv6Addresses'],
          Effect: 'Allow',
          Resource: 'arn:aws:ec2:*:*:network-interface/*',
        },
      ],
    },
    Roles: [{ Ref: stack.getLogicalId(group.nodegroup.role.node.defaultChild as any) }],
  });
});
