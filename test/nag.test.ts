/**
 * cdk-nag's AwsSolutions pack (plus our AwsSolutions EKS1/EKS2 rules for aws-eks-v2 clusters, which
 * cdk-nag 3.0.2 cannot see) over every example: nothing may be left unacknowledged. The library
 * acknowledges findings on resources that aws-eks-v2 creates and we cannot change, each with a reason.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { EndpointPresets, PrivateEksCluster } from '../lib';
import { fakeKubectlLayer, isolatedVpc, testApp } from './support/cdk';
import { EXAMPLE_APPS, exampleApp } from './support/example-apps';
import { AwsSolutionsEksV2Checks } from './support/nag-eks-v2';

/** Both packs: cdk-nag's AwsSolutions and the AwsSolutions EKS rules for aws-eks-v2 clusters. */
function addNagPacks(app: ReturnType<typeof testApp>): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new AwsSolutionsEksV2Checks(app));
}

test.each(EXAMPLE_APPS.map((e) => e.key))('example %s has no unacknowledged AwsSolutions finding', (key) => {
  const app = testApp();
  exampleApp(key).build(app);
  addNagPacks(app);
  expect(() => app.synth()).not.toThrow();
});

/** Synth an app with both packs; the AwsSolutions EKS findings that fail it. */
function eksFindings(app: ReturnType<typeof testApp>): string[] {
  addNagPacks(app);
  try {
    app.synth();
    return [];
  } catch (e) {
    return [...new Set([...String(e).matchAll(/AwsSolutions-EKS\d(\[[^\]]*\])?/g)].map((m) => m[0]))].sort();
  }
}

/** A cluster planted into an example's app, next to the example's own, in a stack of its own. */
function plantCluster(example: Stack, logging: eks.ClusterLoggingTypes[] | undefined): void {
  const stack = new Stack(example.node.scope as Construct, 'Planted');
  new PrivateEksCluster(stack, 'Planted', {
    vpc: isolatedVpc(stack, '10.9.0.0/16'),
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    endpointServices: EndpointPresets.privateClusterGuide(),
    clusterLogging: logging,
  });
}

test('the check can fail: an example with a planted cluster without control-plane logging is reported', () => {
  const app = testApp();
  plantCluster(exampleApp('closed-network').build(app), []);
  expect(eksFindings(app)).toEqual([
    'AwsSolutions-EKS2[LogExport::api]',
    'AwsSolutions-EKS2[LogExport::audit]',
    'AwsSolutions-EKS2[LogExport::authenticator]',
  ]);
});

test('a planted cluster with only the audit log is reported for api and authenticator, not for the diagnostic logs', () => {
  const app = testApp();
  plantCluster(exampleApp('closed-network').build(app), [eks.ClusterLoggingTypes.AUDIT]);
  expect(eksFindings(app)).toEqual([
    'AwsSolutions-EKS2[LogExport::api]',
    'AwsSolutions-EKS2[LogExport::authenticator]',
  ]);
});

test('a planted cluster with the default logging passes', () => {
  const app = testApp();
  plantCluster(exampleApp('closed-network').build(app), undefined);
  expect(eksFindings(app)).toEqual([]);
});

test('the check can fail: a security group open to the world is reported', () => {
  const app = testApp();
  const stack = exampleApp('proxy-cluster').build(app);
  const sg = new ec2.SecurityGroup(stack, 'Open', {
    vpc: ec2.Vpc.fromVpcAttributes(stack, 'V', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'] }),
  });
  sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.allTraffic());
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).toThrow(/AwsSolutions-EC23/);
});
