/**
 * Node labels and taints (lib/nodes/labels-and-taints.ts): valid Kubernetes names pass for both kinds of
 * group; a deploy-time value reaches a managed group's EKS API properties as data, and is refused by a
 * self-managed group, whose nodes would write it into their kubelet settings. The refusals of concrete
 * values are in test/errors.test.ts.
 */
import { Fn } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { validationErrorOf } from '../support/errors';
import { proxiedCluster } from '../support/cluster';

const setup = proxiedCluster;

const labels = { role: 'worker', 'example.com/tier': 'a-1.b_2', empty: '' };
const taints = [{ key: 'example.com/dedicated', value: 'batch', effect: eks.TaintEffect.NO_SCHEDULE }];

test('valid Kubernetes names pass on managed and self-managed groups', () => {
  const { stack, cluster } = setup();
  cluster.addProxiedNodeGroup('Managed', { labels, taints });
  cluster.addSelfManagedNodeGroup('Self', { instanceTypes: [new ec2.InstanceType('m7i.large')], labels, taints });
  Template.fromStack(stack).hasResourceProperties('AWS::EKS::Nodegroup', { Labels: labels });
});

test('a managed group hands a deploy-time label value to the EKS API as data', () => {
  const { stack, cluster } = setup();
  cluster.addProxiedNodeGroup('Managed', { labels: { role: Fn.importValue('RoleLabel') } });
  Template.fromStack(stack).hasResourceProperties('AWS::EKS::Nodegroup', {
    Labels: { role: { 'Fn::ImportValue': 'RoleLabel' } },
  });
});

test('a self-managed group refuses a deploy-time taint value, naming the prop', () => {
  const { cluster } = setup();
  const e = validationErrorOf(() =>
    cluster.addSelfManagedNodeGroup('Self', {
      instanceTypes: [new ec2.InstanceType('m7i.large')],
      taints: [{ key: 'dedicated', value: Fn.importValue('Taint'), effect: eks.TaintEffect.NO_SCHEDULE }],
    }),
  );
  expect(e.message).toMatch(/Cluster\/Self: taints has a deploy-time value \(value of taint 'dedicated'\)/);
});
