/**
 * What cdk-private-eks reaches inside aws-eks-v2 (lib/private/aws-eks-v2-internals.ts): the kubectl
 * provider's children by construct id, and the resources whose cdk-nag findings it acknowledges. When an
 * aws-cdk-lib upgrade moves them, this test names what moved.
 */
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PrivateEksCluster, ProxySettings } from '../../lib';
import {
  accessEntryAtGrantAccessPath,
  ISOLATED_SUBNETS_WARNING,
  kubectlHandler,
  kubectlInternals,
  missingInternals,
} from '../../lib/private/aws-eks-v2-internals';
import { fakeKubectlLayer, isolatedVpc, testStack } from '../support/cdk';

/** A private aws-eks-v2 cluster in isolated subnets, with its kubectl provider. */
function awsEksV2Cluster(region?: string) {
  const stack = testStack(region);
  return new eks.Cluster(stack, 'Cluster', {
    vpc: isolatedVpc(stack),
    vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    version: eks.KubernetesVersion.V1_35,
    endpointAccess: eks.EndpointAccess.PRIVATE,
    defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
    defaultCapacity: 0,
    kubectlProviderOptions: { kubectlLayer: fakeKubectlLayer(stack) },
  });
}

test('aws-eks-v2 still has every child this library looks up', () => {
  const missing = missingInternals(awsEksV2Cluster('us-east-1'));
  if (missing.length > 0) {
    throw new Error(
      `aws-cdk-lib moved aws-eks-v2 internals that lib/private/aws-eks-v2-internals.ts relies on: ${missing.join('; ')}. ` +
        'Update the construct ids there (and the cdk-nag acknowledgements) for this aws-cdk-lib version.',
    );
  }
  expect(missing).toEqual([]);
});

test('the kubectl handler is a Lambda function under the provider; env-agnostic stacks have the ECR Public condition', () => {
  const cluster = awsEksV2Cluster();
  const found = kubectlInternals(cluster);
  expect(found.provider).toBeDefined();
  expect(kubectlHandler(cluster)).toBeInstanceOf(lambda.Function);
  expect(found.handler?.node.scope).toBe(found.provider);
  expect(found.ecrPublicCondition).toBeDefined();
  // The provider framework's function, which CloudFormation invokes (its NIST findings are acknowledged on it).
  expect(found.onEvent).toBeInstanceOf(lambda.Function);
  expect(found.onEvent?.node.path).toBe(`${found.provider?.node.path}/Provider/framework-onEvent`);
});

test('a cluster whose internals moved fails with a message naming the aws-cdk-lib version', () => {
  // Stands for an aws-eks-v2 whose kubectl provider has another construct id: nothing under the cluster.
  const cluster = new Construct(testStack('us-east-1'), 'Cluster') as unknown as eks.Cluster;
  expect(missingInternals(cluster)).toEqual([
    "no child 'KubectlProvider' under the cluster",
    "no lambda.Function 'KubectlProvider/Handler' (the kubectl handler)",
    "no lambda.Function 'KubectlProvider/Provider/framework-onEvent' (the provider framework's function)",
  ]);
  expect(() => kubectlHandler(cluster)).toThrow(/this aws-cdk-lib version is not supported/);
});

test("accessEntryAtGrantAccessPath gives the access entry the logical id of grantAccess's", () => {
  const principalArn = 'arn:aws:iam::111122223333:role/writer';
  const viaGrant = awsEksV2Cluster('us-east-1');
  viaGrant.grantAccess('Writer', principalArn, []);
  const ours = awsEksV2Cluster('us-east-1');
  accessEntryAtGrantAccessPath(ours, 'Writer', { clusterName: ours.clusterName, principalArn });
  const entries = (c: eks.Cluster) =>
    Object.keys(Template.fromStack(Stack.of(c)).findResources('AWS::EKS::AccessEntry'));
  const [id] = entries(viaGrant).filter((e) => e.includes('Writer'));
  expect(id).toMatch(/^ClusterWriter[0-9A-F]{8}$/);
  expect(entries(ours).filter((e) => e.includes('Writer'))).toEqual([id]);
});

describe("aws-eks-v2's isolated-subnets warning", () => {
  test('aws-eks-v2 still warns under the id this library acknowledges', () => {
    const cluster = awsEksV2Cluster('us-east-1');
    const warnings = Annotations.fromStack(Stack.of(cluster)).findWarning(
      '*',
      Match.stringLikeRegexp('Isolated subnets'),
    );
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0].entry.data)).toContain(ISOLATED_SUBNETS_WARNING);
  });

  test('a PrivateEksCluster, whose routes are checked, acknowledges it; the user-facing warnings stay', () => {
    const stack = testStack();
    new PrivateEksCluster(stack, 'Cluster', {
      vpc: isolatedVpc(stack),
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: fakeKubectlLayer(stack),
      proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128'),
    });
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('Isolated subnets'))).toEqual([]);
    // The env-agnostic endpoint-name warning is about the user's stack, and is kept.
    expect(annotations.findWarning('*', Match.stringLikeRegexp('no concrete region'))).toHaveLength(1);
  });
});
