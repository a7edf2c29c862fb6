/**
 * cdk-nag's AwsSolutions and NIST 800-53 rev. 5 packs (plus our AwsSolutions EKS1/EKS2 rules for aws-eks-v2
 * clusters, which cdk-nag 3.0.2 cannot see) over every example, in one synth each: nothing may be left
 * unacknowledged. The library acknowledges findings on resources it or aws-eks-v2 creates, each on its
 * resource with a reason (lib/private/nag.ts, lib/private/aws-eks-v2-internals.ts); the examples acknowledge
 * what is theirs (flow logs, the proxies' public subnets).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { EndpointPresets, PrivateEksCluster } from '../lib';
import { fakeKubectlLayer, isolatedVpc, testApp } from './support/cdk';
import { EXAMPLE_APPS, exampleApp } from './support/example-apps';
import { addNagPacks, nagFindings } from './support/nag';

test.each(EXAMPLE_APPS.map((e) => e.key))(
  'example %s has no unacknowledged AwsSolutions or NIST 800-53 R5 finding',
  (key) => {
    const app = testApp();
    exampleApp(key).build(app);
    addNagPacks(app);
    expect(nagFindings(app)).toEqual([]);
  },
);

/** Synth an app with all packs; the AwsSolutions EKS findings that fail it. */
function eksFindings(app: ReturnType<typeof testApp>): string[] {
  addNagPacks(app);
  const ids = nagFindings(app).map((f) => f.id);
  return [...new Set(ids.filter((id) => id.startsWith('AwsSolutions-EKS')))].sort();
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

test('the NIST pack can fail: an unencrypted log group planted in an example is reported, and nothing else', () => {
  const app = testApp();
  const stack = exampleApp('proxy-cluster').build(app);
  new logs.LogGroup(stack, 'Planted', { retention: logs.RetentionDays.ONE_YEAR });
  addNagPacks(app);
  expect(nagFindings(app)).toEqual([
    { id: 'NIST.800.53.R5-CloudWatchLogGroupEncrypted', path: 'PrivateEksProxyExample/Planted/Resource' },
  ]);
});

test("the library's acknowledgements stay on its own resources: a function and role planted next to the cluster are reported", () => {
  const app = testApp();
  const stack = exampleApp('proxy-cluster').build(app);
  const role = new iam.Role(stack, 'PlantedRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  new lambda.Function(stack, 'PlantedFunction', {
    runtime: lambda.Runtime.PYTHON_3_13,
    handler: 'index.handler',
    code: lambda.Code.fromInline('def handler(event, context):\n    return None\n'),
    role,
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sts:GetCallerIdentity'], resources: ['*'] }));
  addNagPacks(app);
  const nist = nagFindings(app).filter((f) => f.id.startsWith('NIST.'));
  expect(nist).toEqual(
    expect.arrayContaining([
      { id: 'NIST.800.53.R5-IAMNoInlinePolicy', path: 'PrivateEksProxyExample/PlantedRole/DefaultPolicy/Resource' },
      { id: 'NIST.800.53.R5-LambdaConcurrency', path: 'PrivateEksProxyExample/PlantedFunction/Resource' },
      { id: 'NIST.800.53.R5-LambdaDLQ', path: 'PrivateEksProxyExample/PlantedFunction/Resource' },
    ]),
  );
  // Only the planted resources are reported: the example's own stay acknowledged.
  expect(nist.filter((f) => !/\/Planted(Role|Function)\//.test(f.path))).toEqual([]);
});
