/**
 * The IAM policies of the Karpenter controller, as policy documents in CloudFormation `Fn::Sub` text: pure,
 * text out. They are Karpenter's own (aws/karpenter-provider-aws v1.14.1,
 * `website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml`, vendored in
 * test/fixtures/karpenter), statement for statement, with what our setup never uses taken out:
 * - the EC2NodeClass names an instance profile we create (`spec.instanceProfile`), so Karpenter creates,
 *   tags and deletes none: no `iam:CreateInstanceProfile`, `iam:TagInstanceProfile`,
 *   `iam:AddRoleToInstanceProfile`, `iam:RemoveRoleFromInstanceProfile`, `iam:DeleteInstanceProfile`.
 *   Outside an isolated VPC it still lists and reads profiles (its garbage collection, and the cleanup when
 *   an EC2NodeClass is deleted, which would hang without them: pkg/controllers/nodeclass/controller.go);
 *   with `isolatedVPC` it skips both and never calls IAM (pkg/controllers/controllers.go).
 * - `isolatedVPC` turns the pricing lookups off: no `pricing:GetProducts` then.
 * - no interruption queue, no `sqs:` statement; zonal shift is off (`settings.enableZonalShift` false), so no
 *   `arc-zonal-shift:` statement.
 * - `iam:PassRole` names our node role, as upstream.
 *
 * The condition keys hold the cluster name (`aws:ResourceTag/kubernetes.io/cluster/${ClusterName}`), which
 * CloudFormation cannot take as a key unless the document is text: hence `Fn::Sub`, as upstream. Variables:
 * `ClusterName`, `NodeRoleArn`, `QueueArn` and the pseudo parameters `AWS::Partition`, `AWS::Region`,
 * `AWS::AccountId`. The cluster name is EKS's (`[0-9A-Za-z][A-Za-z0-9-_]*`, EKS API reference, CreateCluster):
 * it never holds a quote or a backslash that would break the JSON.
 */

/** What decides the controller's policies. */
export interface ControllerPolicyOptions {
  /** `settings.isolatedVPC`: no pricing, no IAM calls. */
  readonly isolatedVpc: boolean;
  /** Interruption handling on: the SQS statement. */
  readonly interruptionQueue: boolean;
}

type Statement = Record<string, unknown>;

const CLUSTER_TAG = 'kubernetes.io/cluster/${ClusterName}';
const EC2 = 'arn:${AWS::Partition}:ec2:${AWS::Region}';
const IAM_PROFILES = 'arn:${AWS::Partition}:iam::${AWS::AccountId}:instance-profile/*';
const TAGGED_RESOURCES = [
  `${EC2}:*:fleet/*`,
  `${EC2}:*:instance/*`,
  `${EC2}:*:volume/*`,
  `${EC2}:*:network-interface/*`,
  `${EC2}:*:launch-template/*`,
  `${EC2}:*:spot-instances-request/*`,
];
const OWNED_BY_NODEPOOL = {
  StringEquals: { [`aws:ResourceTag/${CLUSTER_TAG}`]: 'owned' },
  StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
};

/** Upstream's `NodeLifecyclePolicy`, unchanged. */
function nodeLifecycle(): Statement[] {
  return [
    {
      Sid: 'AllowScopedEC2InstanceAccessActions',
      Effect: 'Allow',
      Resource: [
        `arn:\${AWS::Partition}:ec2:\${AWS::Region}::image/*`,
        `arn:\${AWS::Partition}:ec2:\${AWS::Region}::snapshot/*`,
        `${EC2}:*:security-group/*`,
        `${EC2}:*:subnet/*`,
        `${EC2}:*:capacity-reservation/*`,
        `${EC2}:*:placement-group/*`,
      ],
      Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
    },
    {
      Sid: 'AllowScopedEC2LaunchTemplateAccessActions',
      Effect: 'Allow',
      Resource: `${EC2}:*:launch-template/*`,
      Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
      Condition: OWNED_BY_NODEPOOL,
    },
    {
      Sid: 'AllowScopedEC2InstanceActionsWithTags',
      Effect: 'Allow',
      Resource: TAGGED_RESOURCES,
      Action: ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'],
      Condition: {
        StringEquals: {
          [`aws:RequestTag/${CLUSTER_TAG}`]: 'owned',
          'aws:RequestTag/eks:eks-cluster-name': '${ClusterName}',
        },
        StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
      },
    },
    {
      Sid: 'AllowScopedResourceCreationTagging',
      Effect: 'Allow',
      Resource: TAGGED_RESOURCES,
      Action: 'ec2:CreateTags',
      Condition: {
        StringEquals: {
          [`aws:RequestTag/${CLUSTER_TAG}`]: 'owned',
          'aws:RequestTag/eks:eks-cluster-name': '${ClusterName}',
          'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'],
        },
        StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
      },
    },
    {
      Sid: 'AllowScopedResourceTagging',
      Effect: 'Allow',
      Resource: `${EC2}:*:instance/*`,
      Action: 'ec2:CreateTags',
      Condition: {
        ...OWNED_BY_NODEPOOL,
        StringEqualsIfExists: { 'aws:RequestTag/eks:eks-cluster-name': '${ClusterName}' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['eks:eks-cluster-name', 'karpenter.sh/nodeclaim', 'Name'] },
      },
    },
    {
      Sid: 'AllowScopedDeletion',
      Effect: 'Allow',
      Resource: [`${EC2}:*:instance/*`, `${EC2}:*:launch-template/*`],
      Action: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'],
      Condition: OWNED_BY_NODEPOOL,
    },
  ];
}

/** Upstream's `IAMIntegrationPolicy`: passing the node role only (the instance profile is ours). */
function iamIntegration(): Statement[] {
  return [
    {
      Sid: 'AllowPassingInstanceRole',
      Effect: 'Allow',
      Resource: '${NodeRoleArn}',
      Action: 'iam:PassRole',
      Condition: { StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com', 'ec2.amazonaws.com.cn'] } },
    },
  ];
}

/** Upstream's `EKSIntegrationPolicy`, unchanged. */
function eksIntegration(): Statement[] {
  return [
    {
      Sid: 'AllowAPIServerEndpointDiscovery',
      Effect: 'Allow',
      Resource: 'arn:${AWS::Partition}:eks:${AWS::Region}:${AWS::AccountId}:cluster/${ClusterName}',
      Action: 'eks:DescribeCluster',
    },
  ];
}

/** Upstream's `InterruptionPolicy`, unchanged. */
function interruption(): Statement[] {
  return [
    {
      Sid: 'AllowInterruptionQueueActions',
      Effect: 'Allow',
      Resource: '${QueueArn}',
      Action: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
    },
  ];
}

/** Upstream's `ResourceDiscoveryPolicy`, without what an isolated VPC never calls. */
function resourceDiscovery(isolatedVpc: boolean): Statement[] {
  return [
    {
      Sid: 'AllowRegionalReadActions',
      Effect: 'Allow',
      Resource: '*',
      Action: [
        'ec2:DescribeCapacityReservations',
        'ec2:DescribeImages',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeInstanceTypeOfferings',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplates',
        'ec2:DescribePlacementGroups',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSpotPriceHistory',
        'ec2:DescribeSubnets',
      ],
      Condition: { StringEquals: { 'aws:RequestedRegion': '${AWS::Region}' } },
    },
    {
      Sid: 'AllowSSMReadActions',
      Effect: 'Allow',
      Resource: 'arn:${AWS::Partition}:ssm:${AWS::Region}::parameter/aws/service/*',
      Action: 'ssm:GetParameter',
    },
    ...(isolatedVpc
      ? []
      : [
          { Sid: 'AllowPricingReadActions', Effect: 'Allow', Resource: '*', Action: 'pricing:GetProducts' },
          {
            Sid: 'AllowUnscopedInstanceProfileListAction',
            Effect: 'Allow',
            Resource: '*',
            Action: 'iam:ListInstanceProfiles',
          },
          {
            Sid: 'AllowInstanceProfileReadActions',
            Effect: 'Allow',
            Resource: IAM_PROFILES,
            Action: 'iam:GetInstanceProfile',
          },
        ]),
  ];
}

/** An IAM policy document. */
export interface PolicyDocumentJson {
  readonly Version: string;
  readonly Statement: Statement[];
}

/**
 * The controller's policy documents, by upstream's policy name (without the `KarpenterController` prefix and
 * the `-${ClusterName}` suffix), with `${...}` placeholders. One managed policy each, as upstream: a managed
 * policy holds at most 6,144 characters (IAM quotas), and the node lifecycle one alone is half of it once a
 * long cluster name is substituted.
 */
export function controllerPolicyDocuments(options: ControllerPolicyOptions): Record<string, PolicyDocumentJson> {
  const documents: Record<string, Statement[]> = {
    NodeLifecyclePolicy: nodeLifecycle(),
    IAMIntegrationPolicy: iamIntegration(),
    EKSIntegrationPolicy: eksIntegration(),
    ...(options.interruptionQueue ? { InterruptionPolicy: interruption() } : {}),
    ResourceDiscoveryPolicy: resourceDiscovery(options.isolatedVpc),
  };
  return Object.fromEntries(
    Object.entries(documents).map(([name, statements]) => [name, { Version: '2012-10-17', Statement: statements }]),
  );
}

/**
 * A document for CloudFormation, with `sub` (CloudFormation's `Fn::Sub`) applied: to the whole document as
 * JSON text when a key holds a placeholder (a condition key with the cluster name: CloudFormation takes such a
 * document as text only, as Karpenter's template gives it), otherwise to each string value that holds one, so
 * the document stays an object.
 */
export function substitutePlaceholders(document: PolicyDocumentJson, sub: (text: string) => string): unknown {
  const text = JSON.stringify(document);
  const keyed = (value: unknown): boolean =>
    Array.isArray(value)
      ? value.some(keyed)
      : value !== null &&
        typeof value === 'object' &&
        Object.entries(value).some(([k, v]) => k.includes('${') || keyed(v));
  if (keyed(document)) {
    return sub(text);
  }
  return JSON.parse(text, (_key, value) => (typeof value === 'string' && value.includes('${') ? sub(value) : value));
}
