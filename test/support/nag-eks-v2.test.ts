/** The AwsSolutions EKS rules for aws-eks-v2 clusters find what cdk-nag's own pack misses, and nothing twice. */
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eksv1 from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { fakeKubectlLayer, isolatedVpc, testApp } from './cdk';
import { AwsSolutionsEksV2Checks } from './nag-eks-v2';

/** The AwsSolutions EKS findings of an app's synth ('' when none). */
function eksFindings(app: App, packs: Array<'v2-shim' | 'cdk-nag'>): string[] {
  if (packs.includes('v2-shim')) {
    Validations.of(app).addPlugins(new AwsSolutionsEksV2Checks(app));
  }
  if (packs.includes('cdk-nag')) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  try {
    app.synth();
    return [];
  } catch (e) {
    return [...String(e).matchAll(/AwsSolutions-EKS\d(\[[^\]]*\])?/g)].map((m) => m[0]).sort();
  }
}

function v2Cluster(stack: Stack, props: Partial<eks.ClusterProps> = {}): eks.Cluster {
  return new eks.Cluster(stack, 'Cluster', {
    vpc: isolatedVpc(stack),
    vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    version: eks.KubernetesVersion.V1_35,
    defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
    defaultCapacity: 0,
    kubectlProviderOptions: { kubectlLayer: fakeKubectlLayer(stack) },
    ...props,
  });
}

test('a public aws-eks-v2 cluster without logs: EKS1 and one EKS2 finding per missing log type', () => {
  const app = testApp();
  const stack = new Stack(app, 'Planted');
  v2Cluster(stack);
  expect(eksFindings(app, ['v2-shim'])).toEqual([
    'AwsSolutions-EKS1',
    'AwsSolutions-EKS2[LogExport::api]',
    'AwsSolutions-EKS2[LogExport::audit]',
    'AwsSolutions-EKS2[LogExport::authenticator]',
    'AwsSolutions-EKS2[LogExport::controllerManager]',
    'AwsSolutions-EKS2[LogExport::scheduler]',
  ]);
});

test("cdk-nag's own pack does not see the aws-eks-v2 cluster (why the shim exists)", () => {
  const app = testApp();
  const stack = new Stack(app, 'Planted');
  v2Cluster(stack);
  expect(eksFindings(app, ['cdk-nag']).filter((f) => f.startsWith('AwsSolutions-EKS'))).toEqual([]);
});

test('a private aws-eks-v2 cluster with three log types: only the two missing ones', () => {
  const app = testApp();
  const stack = new Stack(app, 'Logged');
  v2Cluster(stack, {
    endpointAccess: eks.EndpointAccess.PRIVATE,
    clusterLogging: [eks.ClusterLoggingTypes.API, eks.ClusterLoggingTypes.AUDIT, eks.ClusterLoggingTypes.AUTHENTICATOR],
  });
  expect(eksFindings(app, ['v2-shim'])).toEqual([
    'AwsSolutions-EKS2[LogExport::controllerManager]',
    'AwsSolutions-EKS2[LogExport::scheduler]',
  ]);
});

test('an aws-eks (v1) CfnCluster is left to cdk-nag: reported once, not twice', () => {
  const app = testApp();
  const stack = new Stack(app, 'V1');
  new eksv1.CfnCluster(stack, 'Cluster', {
    roleArn: new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('eks.amazonaws.com') }).roleArn,
    resourcesVpcConfig: { subnetIds: ['subnet-1'] },
  });
  const findings = eksFindings(app, ['v2-shim', 'cdk-nag']);
  expect(findings.filter((f) => f === 'AwsSolutions-EKS1')).toHaveLength(1);
  expect(findings.filter((f) => f === 'AwsSolutions-EKS2[LogExport::api]')).toHaveLength(1);
});
