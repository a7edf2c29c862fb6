import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { EndpointPresets, EndpointService, EndpointSet } from '../../lib';
import { isolatedVpc, testStack } from '../support/cdk';

function buildSet(region?: string, props: Partial<ConstructorParameters<typeof EndpointSet>[2]> = {}) {
  const stack = testStack(region);
  const vpc = isolatedVpc(stack);
  return { stack, set: new EndpointSet(stack, 'Endpoints', { vpc, ...props }) };
}

function build(region?: string, props: Partial<ConstructorParameters<typeof EndpointSet>[2]> = {}) {
  const { stack, set } = buildSet(region, props);
  return { stack, set, template: Template.fromStack(stack) };
}

describe('EndpointSet defaults', () => {
  const { stack, set, template } = build('us-east-1');

  test('creates the minimal preset: six interface endpoints and the S3 gateway', () => {
    expect(set.services.map((s) => s.name)).toEqual(['ec2', 'ecr.api', 'ecr.dkr', 'sts', 's3', 'eks', 'lambda']);
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 6);
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' }, 1);
  });

  test('every interface endpoint uses the one shared security group and private DNS', () => {
    const endpoints = template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } });
    const groups = new Set(Object.values(endpoints).map((e: any) => JSON.stringify(e.Properties.SecurityGroupIds)));
    expect(groups.size).toBe(1);
    Object.values(endpoints).forEach((e: any) => expect(e.Properties.PrivateDnsEnabled).toBe(true));
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
  });

  test('the security group allows only 443 from the VPC CIDR, and no egress', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [{ CidrIp: '10.0.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }],
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
  });

  test('service names are the commercial ones in us-east-1', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.ecr.dkr' });
  });

  test('the S3 gateway policy allows only the buckets nodes and the providers need', () => {
    const gw = Object.values(
      template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Gateway' } }),
    )[0] as any;
    const statements = stack.resolve(gw.Properties.PolicyDocument.Statement);
    expect(statements.map((s: any) => s.Sid)).toEqual([
      'EcrImageLayers',
      'AmazonLinuxRepositories',
      'CloudFormationCustomResourceResponses',
    ]);
    const text = JSON.stringify(statements);
    expect(text).toContain('-starport-layer-bucket/*');
    expect(text).toContain('al2023-repos-');
    expect(text).toContain('cloudformation-custom-resource-response-');
    expect(text).not.toMatch(/"Resource":"\*"|s3:\*/);
  });

  test('the gateway is attached to every isolated route table', () => {
    const gw = Object.values(
      template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Gateway' } }),
    )[0] as any;
    expect(gw.Properties.RouteTableIds).toHaveLength(2);
  });

  test('NO_PROXY hosts cover every service', () => {
    expect(set.noProxyHosts).toEqual([
      'ec2.us-east-1.amazonaws.com',
      'api.ecr.us-east-1.amazonaws.com',
      'dkr.ecr.us-east-1.amazonaws.com',
      'sts.us-east-1.amazonaws.com',
      's3.us-east-1.amazonaws.com',
      's3.dualstack.us-east-1.amazonaws.com',
      's3.amazonaws.com',
      'eks.us-east-1.amazonaws.com',
      'lambda.us-east-1.amazonaws.com',
    ]);
  });

  test('prints the monthly cost estimate with its source', () => {
    expect(set.estimatedMonthlyCostUsd).toBe(87.6);
    Annotations.fromStack(stack).hasInfo(
      '/Test/Endpoints',
      Match.stringLikeRegexp('87.60 USD/month.*privatelink/pricing'),
    );
  });
});

describe('EndpointSet in China', () => {
  const { set, template } = build('cn-northwest-1');

  test.each(['ec2', 'ecr.api', 'ecr.dkr', 'sts', 'eks', 'lambda'])('%s uses the cn.com.amazonaws prefix', (name) => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: `cn.com.amazonaws.cn-northwest-1.${name}` });
  });

  test('the eks-auth host uses the China dual-stack domain', () => {
    expect(EndpointService.EKS_AUTH.hostNames('cn-northwest-1', 'amazonaws.com.cn')).toEqual([
      'eks-auth.cn-northwest-1.api.amazonwebservices.com.cn',
    ]);
    expect(EndpointService.EKS_AUTH.hostNames('us-east-1', 'amazonaws.com')).toEqual(['eks-auth.us-east-1.api.aws']);
  });

  test('NO_PROXY hosts use amazonaws.com.cn and no global S3 name', () => {
    expect(set.noProxyHosts).toContain('api.ecr.cn-northwest-1.amazonaws.com.cn');
    expect(set.noProxyHosts).not.toContain('s3.amazonaws.com.cn');
    expect(set.noProxyHosts.every((h) => h.endsWith('.amazonaws.com.cn'))).toBe(true);
  });
});

describe('EndpointSet with a token region', () => {
  const { stack, set } = build();

  test('warns that China names need a concrete region', () => {
    Annotations.fromStack(stack).hasWarning('/Test/Endpoints', Match.stringLikeRegexp('cn.com.amazonaws'));
  });

  test('host names resolve through AWS::Region and AWS::URLSuffix', () => {
    expect(stack.resolve(set.noProxyHosts[0])).toEqual({
      'Fn::Join': ['', ['ec2.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
    });
  });
});

describe('EndpointSet options', () => {
  test('existing services are not created but count as served', () => {
    const { set, template } = build('eu-west-1', { existingServices: [EndpointService.STS, EndpointService.EC2] });
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 4);
    expect(set.has(EndpointService.STS)).toBe(true);
    expect(set.noProxyHosts).toContain('sts.eu-west-1.amazonaws.com');
  });

  test('the private-cluster guide preset has the guide list', () => {
    const names = EndpointPresets.privateClusterGuide().map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'ec2',
        'ecr.api',
        'ecr.dkr',
        's3',
        'sts',
        'eks',
        'eks-auth',
        'elasticloadbalancing',
        'logs',
        'ssm',
        'ssmmessages',
        'ec2messages',
        'xray',
        'lambda',
        'autoscaling',
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
  });

  test('additional buckets are added to the gateway policy', () => {
    const { stack, template } = build('us-east-1', { additionalS3Buckets: ['my-bucket'] });
    const gw = Object.values(
      template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Gateway' } }),
    )[0] as any;
    expect(JSON.stringify(stack.resolve(gw.Properties.PolicyDocument))).toContain(':s3:::my-bucket/*');
  });

  test('a custom interface service gets its own host', () => {
    const { set } = build('us-east-1', { services: [EndpointService.interfaceService('ecs')] });
    expect(set.noProxyHosts).toEqual(['ecs.us-east-1.amazonaws.com']);
  });

  test('allowFrom adds a 443 rule for another peer', () => {
    const { set, stack } = buildSet('us-east-1');
    set.allowFrom(ec2.Peer.ipv4('100.64.0.0/16'));
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.arrayWith([Match.objectLike({ CidrIp: '100.64.0.0/16', FromPort: 443 })]),
    });
  });
});

test('a VPC CIDR block declared after the set fails synth naming vpc (its security group rules would miss it)', () => {
  const stack = testStack();
  const vpc = isolatedVpc(stack);
  new EndpointSet(stack, 'Endpoints', { vpc, services: EndpointPresets.minimal() });
  new ec2.CfnVPCCidrBlock(stack, 'Late', { vpcId: vpc.vpcId, cidrBlock: '10.1.0.0/16' });
  expect(() => Template.fromStack(stack)).toThrow(
    /^Test\/Endpoints: vpc has CIDR blocks declared after this construct \(10.1.0.0\/16\), so the endpoints' security group rules do not include them/,
  );
});
