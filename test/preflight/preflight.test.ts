/** The preflight (lib/preflight/preflight.ts): where it runs, what it checks, and what waits for it. */
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Stack } from 'aws-cdk-lib';
import {
  EndpointPresets,
  EndpointService,
  PreflightOptions,
  PrivateEksCluster,
  ProxyCredentials,
  ProxySettings,
} from '../../lib';
import { PREFLIGHT_SERVICE_TIMEOUT, PREFLIGHT_VARIABLES } from '../../lib/preflight/preflight';
import { fakeKubectlLayer, isolatedVpc, testStack } from '../support/cdk';
import { validationErrorOf } from '../support/errors';

function clusterOf(stack: Stack, extra: { proxy?: ProxySettings; preflight?: PreflightOptions } = {}) {
  return new PrivateEksCluster(stack, 'Cluster', {
    vpc: isolatedVpc(stack),
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    ...extra,
  });
}

/** A cluster whose endpoints also serve CloudFormation (self-managed nodes signal it). */
function clusterWithCloudFormation(stack: Stack) {
  return new PrivateEksCluster(stack, 'Cluster', {
    vpc: isolatedVpc(stack),
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    endpointServices: [...EndpointPresets.minimal(), EndpointService.CLOUDFORMATION],
  });
}

function preflightFunction(template: Template): any {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter((f: any) =>
    /checks the endpoints and the proxy/.test(f.Properties.Description ?? ''),
  );
  expect(fns).toHaveLength(1);
  return fns[0];
}

test('runs in the node subnets with the cluster security group, before every node group added through the cluster', () => {
  const stack = testStack('eu-west-1');
  const cluster = clusterWithCloudFormation(stack);
  const managed = cluster.addProxiedNodeGroup('Managed');
  const selfManaged = cluster.addSelfManagedNodeGroup('SelfManaged');
  const template = Template.fromStack(stack);
  const fn = preflightFunction(template);
  const resolve = (v: unknown) => JSON.stringify(stack.resolve(v));
  expect(JSON.stringify(fn.Properties.VpcConfig.SubnetIds)).toBe(
    resolve(cluster.cluster.vpc.selectSubnets(cluster.nodeSubnets).subnetIds),
  );
  expect(JSON.stringify(fn.Properties.VpcConfig.SecurityGroupIds)).toBe(
    resolve([cluster.cluster.clusterSecurityGroupId]),
  );
  const [crId] = Object.keys(template.findResources('Custom::CdkPrivateEksPreflight'));
  const cr = template.toJSON().Resources[crId];
  expect(cr.Properties.ServiceTimeout).toBe(String(PREFLIGHT_SERVICE_TIMEOUT.toSeconds()));
  const resources = template.toJSON().Resources;
  const logicalId = (c: any) => stack.resolve(c.node.defaultChild.logicalId);
  expect(resources[logicalId(managed.nodegroup)].DependsOn).toContain(crId);
  expect(resources[logicalId(selfManaged.autoScalingGroup)].DependsOn).toContain(crId);
});

test('checks every endpoint host (the account registry host for ECR), the S3 gateway and the VPC CIDR', () => {
  const stack = testStack('eu-west-1');
  clusterOf(stack).addProxiedNodeGroup('Nodes');
  const env = preflightFunction(Template.fromStack(stack)).Properties.Environment.Variables;
  expect(env[PREFLIGHT_VARIABLES.interfaceHosts].split(',')).toEqual([
    'ec2.eu-west-1.amazonaws.com',
    'api.ecr.eu-west-1.amazonaws.com',
    '111122223333.dkr.ecr.eu-west-1.amazonaws.com',
    'sts.eu-west-1.amazonaws.com',
    'eks.eu-west-1.amazonaws.com',
    'lambda.eu-west-1.amazonaws.com',
  ]);
  expect(env[PREFLIGHT_VARIABLES.gatewayHosts]).toBe('s3.eu-west-1.amazonaws.com');
  expect(env[PREFLIGHT_VARIABLES.vpcCidrs]).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Vpc/), 'CidrBlock'] });
  expect(env[PREFLIGHT_VARIABLES.proxyUrl]).toBeUndefined();
});

/** A proxy whose credentials are in an imported secret. */
function credentialedProxy(stack: Stack): { proxy: ProxySettings; secret: secretsmanager.ISecret } {
  const secret = secretsmanager.Secret.fromSecretCompleteArn(
    stack,
    'S',
    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:proxy-AbCdEf',
  );
  const proxy = ProxySettings.fromUrl('http://proxy.corp.example:3128', {
    credentials: ProxyCredentials.fromSecret(secret),
  });
  return { proxy, secret };
}

test('with a proxy: its URL, and with a test domain the credentials (read access to the one secret)', () => {
  const stack = testStack('eu-west-1');
  const { proxy, secret } = credentialedProxy(stack);
  clusterOf(stack, { proxy, preflight: { proxyTestDomain: 'public.ecr.aws' } }).addProxiedNodeGroup('Nodes');
  const template = Template.fromStack(stack);
  const fn = preflightFunction(template);
  const env = fn.Properties.Environment.Variables;
  expect(env[PREFLIGHT_VARIABLES.proxyUrl]).toBe('http://proxy.corp.example:3128');
  expect(env[PREFLIGHT_VARIABLES.connectDomain]).toBe('public.ecr.aws');
  expect(env.CDK_PRIVATE_EKS_PROXY_SECRET_ARN).toBe(secret.secretArn);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) =>
    p.Properties.Roles.some((r: any) => r.Ref === roleId),
  ) as any[];
  expect(JSON.stringify(policies)).toContain('secretsmanager:GetSecretValue');
});

test('without a test domain the preflight never reads the proxy secret', () => {
  const stack = testStack('eu-west-1');
  const { proxy } = credentialedProxy(stack);
  clusterOf(stack, { proxy }).addProxiedNodeGroup('Nodes');
  const fn = preflightFunction(Template.fromStack(stack));
  expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('CDK_PRIVATE_EKS_PROXY_SECRET_ARN');
});

test('no node group, or turned off: no preflight', () => {
  const none = testStack('eu-west-1');
  clusterOf(none);
  expect(Template.fromStack(none).findResources('Custom::CdkPrivateEksPreflight')).toEqual({});
  const off = testStack('eu-west-1');
  clusterOf(off, { preflight: { enabled: false } }).addProxiedNodeGroup('Nodes', {
    instanceTypes: [new ec2.InstanceType('m7i.large')],
  });
  expect(Template.fromStack(off).findResources('Custom::CdkPrivateEksPreflight')).toEqual({});
});

test.each([
  [undefined, 'public.ecr.aws', /has no proxy/],
  [ProxySettings.fromUrl('http://p.corp.example:3128'), 'not a domain!', /is not a DNS name/],
])('a test domain it cannot use is refused naming the prop (%#)', (proxy, domain, why) => {
  const stack = testStack('eu-west-1');
  const cluster = clusterOf(stack, { proxy, preflight: { proxyTestDomain: domain } });
  const error = validationErrorOf(() => cluster.addProxiedNodeGroup('Nodes'));
  expect(error.prop).toBe('preflight.proxyTestDomain');
  expect(error.message).toMatch(why);
});
