import {
  App,
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
import { deployTimeOrigin } from '../../lib/private/deploy-time';

function fixture() {
  const app = new App();
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
