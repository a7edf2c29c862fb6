/**
 * The Karpenter controller's policies (lib/karpenter/controller-policy.ts) against Karpenter's own
 * CloudFormation (v1.14.1, vendored in test/fixtures/karpenter): every statement we keep is upstream's, as it is;
 * what we leave out is exactly the list the module documents.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { controllerPolicyDocuments, substitutePlaceholders } from '../../lib/karpenter/controller-policy';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'karpenter', 'cloudformation.yaml');
const customTags = ['!Sub', '!Ref', '!GetAtt'].map((tag) => ({ tag, resolve: (v: string) => ({ [tag]: v }) }));
const upstream = YAML.parse(fs.readFileSync(FIXTURE, 'utf8'), { customTags }).Resources;

/** Upstream's policy documents by name, placeholders as they are (`${KarpenterNodeRole.Arn}` renamed as ours). */
function upstreamDocument(name: string): any {
  const text: string = upstream[name].Properties.PolicyDocument['!Sub'];
  return JSON.parse(
    text
      .replace('${KarpenterNodeRole.Arn}', '${NodeRoleArn}')
      .replace('${KarpenterInterruptionQueue.Arn}', '${QueueArn}'),
  );
}

const UPSTREAM_POLICIES = Object.keys(upstream).filter((k) => upstream[k].Type === 'AWS::IAM::ManagedPolicy');

/** The statements upstream has that we leave out, by policy and Sid, and when. */
const LEFT_OUT: Record<string, string[]> = {
  IAMIntegrationPolicy: [
    'AllowScopedInstanceProfileCreationActions',
    'AllowScopedInstanceProfileTagActions',
    'AllowScopedInstanceProfileActions',
  ],
  ZonalShiftPolicy: ['AllowZonalShiftStatusReadOnly'],
};
const LEFT_OUT_ISOLATED = [
  'AllowPricingReadActions',
  'AllowUnscopedInstanceProfileListAction',
  'AllowInstanceProfileReadActions',
];

describe.each([
  ['with a proxy', { isolatedVpc: false, interruptionQueue: true }],
  ['isolated, interruption handling off', { isolatedVpc: true, interruptionQueue: false }],
])('%s', (_name, options) => {
  const ours = controllerPolicyDocuments(options);

  test('every statement we keep is upstream’s, unchanged', () => {
    for (const [name, document] of Object.entries(ours)) {
      const theirs = upstreamDocument(name);
      expect(document.Version).toBe(theirs.Version);
      for (const statement of document.Statement) {
        expect({ name, statement }).toEqual({
          name,
          statement: theirs.Statement.find((s: any) => s.Sid === statement.Sid),
        });
      }
    }
  });

  test('what we leave out is exactly the documented list', () => {
    const leftOut: string[] = [];
    for (const name of UPSTREAM_POLICIES) {
      const kept = new Set((ours[name]?.Statement ?? []).map((s) => s.Sid));
      leftOut.push(
        ...upstreamDocument(name)
          .Statement.map((s: any) => s.Sid)
          .filter((sid: string) => !kept.has(sid)),
      );
    }
    const expected = [
      ...LEFT_OUT.IAMIntegrationPolicy,
      ...(options.interruptionQueue ? [] : ['AllowInterruptionQueueActions']),
      ...LEFT_OUT.ZonalShiftPolicy,
      ...(options.isolatedVpc ? LEFT_OUT_ISOLATED : []),
    ];
    expect(leftOut.sort()).toEqual(expected.sort());
  });

  test('no statement lets Karpenter create, tag or delete an instance profile, nor pass any role but the node role', () => {
    const statements = Object.values(ours).flatMap((d) => d.Statement);
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions.filter((a) => /^iam:(Create|Tag|Delete|AddRole|RemoveRole)/.test(a))).toEqual([]);
    const passRole = statements.filter((s) => [s.Action].flat().includes('iam:PassRole'));
    expect(passRole.map((s) => s.Resource)).toEqual(['${NodeRoleArn}']);
  });
});

test('a document whose keys hold the cluster name goes to Fn::Sub whole, as text; the others stay objects', () => {
  const documents = controllerPolicyDocuments({ isolatedVpc: false, interruptionQueue: true });
  const calls: string[] = [];
  const sub = (text: string) => {
    calls.push(text);
    return `<sub ${calls.length}>`;
  };
  expect(substitutePlaceholders(documents.NodeLifecyclePolicy, sub)).toBe('<sub 1>');
  expect(JSON.parse(calls[0])).toEqual(documents.NodeLifecyclePolicy);
  const eks = substitutePlaceholders(documents.EKSIntegrationPolicy, sub) as any;
  expect(eks.Statement[0]).toEqual({
    Sid: 'AllowAPIServerEndpointDiscovery',
    Effect: 'Allow',
    Resource: '<sub 2>',
    Action: 'eks:DescribeCluster',
  });
  expect(calls[1]).toBe('arn:${AWS::Partition}:eks:${AWS::Region}:${AWS::AccountId}:cluster/${ClusterName}');
});
