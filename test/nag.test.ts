/**
 * cdk-nag's AwsSolutions pack over every example: nothing may be left unacknowledged. The library
 * acknowledges findings on resources that aws-eks-v2 creates and we cannot change, each with a reason.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuthenticatedProxyStack } from '../examples/authenticated-proxy/app';
import { ChinaRegionStack } from '../examples/china-region/app';
import { ClosedNetworkStack } from '../examples/closed-network/app';
import { EgressProxyStack } from '../examples/egress-proxy/app';
import { Al2Stack, NodeFamiliesStack } from '../examples/node-families/app';
import { ProxyClusterStack } from '../examples/proxy-cluster/app';
import { testApp } from './support/cdk';

const builders: Record<string, (app: ReturnType<typeof testApp>) => Stack> = {
  'proxy-cluster': (app) => new ProxyClusterStack(app, 'Proxy'),
  'closed-network': (app) => new ClosedNetworkStack(app, 'Closed'),
  'china-region': (app) => new ChinaRegionStack(app, 'China'),
  'authenticated-proxy': (app) => new AuthenticatedProxyStack(app, 'Authenticated'),
  'egress-proxy': (app) => new EgressProxyStack(app, 'Egress'),
  'node-families': (app) => new NodeFamiliesStack(app, 'Families'),
  'node-families-al2': (app) => new Al2Stack(app, 'Al2'),
};

test.each(Object.keys(builders))('example %s has no unacknowledged AwsSolutions finding', (name) => {
  const app = testApp();
  builders[name](app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).not.toThrow();
});

test('the check can fail: a security group open to the world is reported', () => {
  const app = testApp();
  const stack = builders['proxy-cluster'](app);
  const sg = new ec2.SecurityGroup(stack, 'Open', {
    vpc: ec2.Vpc.fromVpcAttributes(stack, 'V', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'] }),
  });
  sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.allTraffic());
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).toThrow(/AwsSolutions-EC23/);
});
