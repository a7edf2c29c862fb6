/**
 * The test-only CloudFormation intrinsic resolver (support/intrinsics.ts) that the real-client
 * checks rely on: the functions it models, and that it resolves the examples' whole templates.
 */
import { FAKE_CLUSTER_ENDPOINT_ID, IntrinsicResolver } from './support/intrinsics';
import { EXAMPLE_APPS } from '../support/example-apps';
import { cleanupSynth, deployments, EXAMPLES } from './support/examples';

afterAll(() => cleanupSynth());

const template = {
  Conditions: { IsAws: { 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws'] } },
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
    Cluster: { Type: 'AWS::EKS::Cluster', Properties: { Name: 'demo' } },
  },
};

describe.each([
  ['us-east-1', 'aws', 'amazonaws.com'],
  ['eu-west-1', 'aws', 'amazonaws.com'],
  ['cn-northwest-1', 'aws-cn', 'amazonaws.com.cn'],
])('%s', (region, partition, suffix) => {
  const r = new IntrinsicResolver(template, { region, account: '123456789012', stackName: 'S' });

  test('pseudo parameters', () => {
    expect(
      r.resolve({
        'Fn::Join': [
          '/',
          [{ Ref: 'AWS::Region' }, { Ref: 'AWS::Partition' }, { Ref: 'AWS::URLSuffix' }, { Ref: 'AWS::StackName' }],
        ],
      }),
    ).toBe(`${region}/${partition}/${suffix}/S`);
  });

  test('Fn::Select, Fn::Split, Fn::Base64, Fn::Sub, Fn::If', () => {
    expect(r.resolve({ 'Fn::Join': ['', { 'Fn::Split': ['-', { Ref: 'AWS::Region' }] }] })).toBe(
      region.replace(/-/g, ''),
    );
    expect(r.resolve({ 'Fn::Select': [1, { 'Fn::Split': ['-', { Ref: 'AWS::Region' }] }] })).toBe(region.split('-')[1]);
    expect(
      Buffer.from(r.resolve({ 'Fn::Base64': { 'Fn::Sub': 'x-${AWS::Region}-${Vpc.CidrBlock}' } }), 'base64').toString(),
    ).toBe(`x-${region}-10.0.0.0/16`);
    expect(r.resolve({ 'Fn::If': ['IsAws', 'yes', 'no'] })).toBe(partition === 'aws' ? 'yes' : 'no');
  });

  test('Ref and Fn::GetAtt to resources', () => {
    expect(r.resolve({ 'Fn::GetAtt': ['Vpc', 'CidrBlock'] })).toBe('10.0.0.0/16');
    expect(r.resolve({ Ref: 'Vpc' })).toMatch(/^vpc-0[0-9a-f]{16}$/);
    expect(r.resolve({ Ref: 'Cluster' })).toBe('demo');
    expect(r.resolve({ 'Fn::GetAtt': ['Cluster', 'Endpoint'] })).toBe(
      `https://${FAKE_CLUSTER_ENDPOINT_ID}.gr7.${region}.eks.${suffix}`,
    );
    expect(r.resolve({ 'Fn::GetAtt': ['Cluster', 'Arn'] })).toBe(
      `arn:${partition}:eks:${region}:123456789012:cluster/demo`,
    );
  });

  test('unknown things throw instead of resolving to nonsense', () => {
    expect(() => r.resolve({ Ref: 'Nope' })).toThrow(/unknown logical id/);
    expect(() => r.resolve({ 'Fn::ImportValue': 'x' })).toThrow(/unsupported intrinsic/);
    expect(() => r.resolve({ 'Fn::GetAtt': ['Vpc', 'Ipv6CidrBlocks'] })).toThrow(/not modelled/);
  });
});

test.each(deployments().map((d) => [d.label, d] as const))(
  '%s: the whole template resolves, with no intrinsic left',
  (_l, d) => {
    const resolved = JSON.stringify(
      d.resolver.resolve({ Resources: d.template.Resources, Outputs: d.template.Outputs ?? {} }),
    );
    expect(resolved).not.toMatch(/"(Ref|Fn::[A-Za-z]+)"/);
    expect(resolved).not.toMatch(/\$\{Token\[/);
    expect(resolved).toContain(d.region);
  },
);

test('every example in the registry has a real-client spec, and no spec is left without one', () => {
  expect(EXAMPLES.map((e) => e.key).sort()).toEqual(EXAMPLE_APPS.map((e) => e.key).sort());
});
