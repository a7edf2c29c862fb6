import {
  Aws,
  CfnDynamicReference,
  CfnDynamicReferenceService,
  CfnMapping,
  CfnParameter,
  CustomResource,
  Fn,
  Stack,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { deployTimeOrigin, jsonTextWithDeployTimeValues } from '../../lib/private/deploy-time';
import { IntrinsicResolver } from '../real-clients/support/intrinsics';
import { testApp } from '../support/cdk';

function fixture() {
  const app = testApp();
  const stack = new Stack(app, 'S');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const nlb = new elbv2.NetworkLoadBalancer(stack, 'Nlb', { vpc });
  const param = new CfnParameter(stack, 'ProxyUrl', { type: 'String' });
  const other = new Stack(app, 'Other');
  const otherVpc = new ec2.Vpc(other, 'Vpc', { maxAzs: 2, natGateways: 0 });
  return { app, stack, vpc, nlb, param, otherVpc };
}

describe('deployTimeOrigin', () => {
  const { stack, vpc, nlb, param, otherVpc } = fixture();

  test.each<[string, () => string, string]>([
    ['a concrete string', () => 'http://proxy.example:3128', 'concrete'],
    ['a literal dynamic reference', () => '{{resolve:ssm:/proxy/url}}', 'input'],
    ['an NLB DNS name (Fn::GetAtt)', () => nlb.loadBalancerDnsName, 'aws'],
    ['a URL around the NLB DNS name', () => `http://${nlb.loadBalancerDnsName}:3128`, 'aws'],
    ['the VPC CIDR', () => vpc.vpcCidrBlock, 'aws'],
    ['the region and URL suffix', () => `.${Aws.REGION}.eks.${Aws.URL_SUFFIX}`, 'aws'],
    ['a Ref to a resource', () => vpc.vpcId, 'aws'],
    ['Fn::Select of Fn::GetAZs', () => Fn.select(0, Fn.getAzs()), 'aws'],
    ['a CfnParameter', () => param.valueAsString, 'input'],
    ['a URL around a CfnParameter', () => `http://${param.valueAsString}:3128`, 'input'],
    ['Fn::Select of Fn::Split of a CfnParameter', () => Fn.select(0, Fn.split(',', param.valueAsString)), 'input'],
    ['an SSM parameter', () => ssm.StringParameter.valueForStringParameter(stack, '/proxy/url'), 'input'],
    ['Fn::ImportValue', () => Fn.importValue('ProxyUrl'), 'input'],
    [
      'a dynamic reference token',
      () => new CfnDynamicReference(CfnDynamicReferenceService.SSM, '/proxy/url').toString(),
      'input',
    ],
    [
      'Fn::FindInMap',
      () => new CfnMapping(stack, 'M', { mapping: { a: { b: 'x' } } }).findInMap(Aws.REGION, 'b'),
      'input',
    ],
    ['Fn::Sub', () => Fn.sub('http://${AWS::Region}:3128'), 'input'],
    [
      'a custom resource attribute',
      () => new CustomResource(stack, 'Cr', { serviceToken: 'arn:aws:lambda:x' }).getAttString('Url'),
      'input',
    ],
    ['a resource of another stack', () => otherVpc.vpcCidrBlock, 'input'],
  ])('%s: %s', (_name, make, origin) => {
    expect(deployTimeOrigin(stack, make())).toBe(origin);
  });
});

describe('jsonTextWithDeployTimeValues', () => {
  const resolve = (stack: Stack, text: string, value: string) =>
    new IntrinsicResolver(
      { Parameters: { ProxyUrl: { Type: 'String', Default: value } }, Resources: {} },
      { region: 'us-east-1', account: '111111111111', stackName: 'S' },
    ).resolveString(stack.resolve(text));

  test('a parameter with quotes and backslashes stays inside its JSON string', () => {
    const { stack, param } = fixture();
    const hostile = 'x"}},{"kind":"ClusterRoleBinding","a":"\\\\" \\u0041';
    const objects = [{ kind: 'ConfigMap', data: { HTTP_PROXY: param.valueAsString, N: `a,${param.valueAsString}` } }];
    const text = jsonTextWithDeployTimeValues(stack, objects)!;
    expect(JSON.parse(resolve(stack, text, hostile))).toEqual([
      { kind: 'ConfigMap', data: { HTTP_PROXY: hostile, N: `a,${hostile}` } },
    ]);
  });

  test('a newline makes the text invalid JSON: the deployment fails instead of applying anything', () => {
    const { stack, param } = fixture();
    const text = jsonTextWithDeployTimeValues(stack, [{ data: { A: param.valueAsString } }])!;
    expect(() => JSON.parse(resolve(stack, text, 'a\n"b'))).toThrow(SyntaxError);
  });

  test("what it prevents: CDK's own rendering lets the same parameter add an object", () => {
    const { stack, param } = fixture();
    const text = stack.toJsonString([{ kind: 'ConfigMap', data: { HTTP_PROXY: param.valueAsString } }]);
    const injected = resolve(stack, text, 'x"}},{"kind":"ClusterRoleBinding","data":{"a":"');
    expect(JSON.parse(injected)).toHaveLength(2);
  });

  test('nothing to escape (concrete values, AWS-produced tokens): undefined, CDK renders as before', () => {
    const { stack, vpc } = fixture();
    expect(jsonTextWithDeployTimeValues(stack, [{ data: { A: 'x', B: vpc.vpcCidrBlock } }])).toBeUndefined();
  });
});
