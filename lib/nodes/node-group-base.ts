import { Annotations, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { invalid } from '../errors';
import { EndpointService } from '../endpoints/services';
import { checkRoutes, RouteConsumer } from '../preflight/route-rules';
import {
  acknowledgeNag,
  acknowledgeNodeRolePolicies,
  acknowledgeOwnInlinePolicy,
  managedPolicyFinding,
  NODE_ROLE_POLICIES,
  SSM_AGENT_POLICY,
} from '../private/nag';
import { checkSubnetSelection } from '../private/vpc';
import { checkLabelsAndTaints } from './labels-and-taints';
import { INodeContext } from './node-context';
import { NodeFamily } from './node-family';
import { NodeOptions } from './node-options';
import { caBundleEc2Warning } from './user-data/ca-bundle';
import { Accelerator, Arch, ClusterBootstrap, NodeFamilySpec } from './user-data/family';

/**
 * What managed and self-managed node groups share: checks, the launch template, the node role's
 * policies. One place, so both kinds of group get the same IMDSv2, encryption and security groups.
 */

/** What both kinds of node group derive from their options first: family, instance types, architecture. */
export interface NodeBasics {
  readonly family: NodeFamily;
  readonly spec: NodeFamilySpec;
  readonly instanceTypes: ec2.InstanceType[];
  readonly arch: Arch;
  /** The instance types' accelerator (all the same), if any. */
  readonly accelerator?: Accelerator;
}

/**
 * The prologue of both node group constructors: defaults (AL2023, t3.medium), the checks every node
 * group runs on its options, and the routes the nodes need (preflight/route-rules.ts).
 */
export function startNodeGroup(
  scope: IConstruct,
  props: NodeOptions & { readonly nodeContext: INodeContext },
  consumer: RouteConsumer,
): NodeBasics & { readonly context: INodeContext } {
  const context = props.nodeContext;
  const family = props.family ?? NodeFamily.AMAZON_LINUX_2023;
  const instanceTypes = props.instanceTypes ?? [new ec2.InstanceType('t3.medium')];
  const arch = nodeArchitecture(scope, instanceTypes);
  const accelerator = nodeAccelerator(scope, instanceTypes);
  checkFamilyVersion(scope, family._spec, context);
  checkNodeOptions(scope, props);
  checkLabelsAndTaints(scope, props.labels, props.taints, consumer);
  if (props.subnets) {
    checkSubnetSelection(scope, 'subnets', context.cluster.vpc, props.subnets);
  }
  checkRoutes(
    scope,
    consumer,
    { proxy: context.proxy !== undefined, credentials: context.proxy?.credentials !== undefined },
    (s) => context.endpoints.has(s),
  );
  if (
    family._spec.name === 'AL2023' &&
    context.proxy?.caBundle !== undefined &&
    !context.endpoints.has(EndpointService.EC2)
  ) {
    Annotations.of(scope).addWarningV2('cdk-private-eks:ca-bundle-ec2', caBundleEc2Warning());
  }
  return { context, family, spec: family._spec, instanceTypes, arch, accelerator };
}

/** The cluster details for nodes that join without the EKS API, or a clear error when they are not known. */
export function requireBootstrap(scope: IConstruct, context: INodeContext): ClusterBootstrap {
  if (!context.bootstrap) {
    invalid(
      scope,
      'cluster.serviceIpv4Cidr',
      'is not known at synth time, so nodes that bootstrap without the EKS API cannot be given the cluster DNS address',
      'Give the cluster a concrete serviceIpv4Cidr',
    );
  }
  return context.bootstrap;
}

/** The single CPU architecture of a list of instance types. */
export function nodeArchitecture(scope: IConstruct, instanceTypes: ec2.InstanceType[]): Arch {
  const arches = new Set(instanceTypes.map((t) => t.architecture));
  if (arches.size > 1) {
    invalid(
      scope,
      'instanceTypes',
      `mixes CPU architectures (${[...arches].join(', ')})`,
      'Use one node group per architecture',
    );
  }
  return arches.has(ec2.InstanceArchitecture.ARM_64) ? 'arm64' : 'x86_64';
}

/**
 * The accelerator of an instance type, from its instance family (the part before the dot): NVIDIA GPUs
 * for p* (p2 to p6-b200), g* and gr*, except g4ad (AMD GPUs); AWS Neuron for inf* and trn* (Inferentia,
 * Trainium). Undefined for other families and for tokens.
 */
export function acceleratorOf(instanceType: ec2.InstanceType): Accelerator | undefined {
  const name = instanceType.toString();
  if (Token.isUnresolved(name)) {
    return undefined;
  }
  const family = name.split('.')[0].toLowerCase();
  if (/^g4ad$/.test(family)) {
    return 'amd';
  }
  if (/^(p\d+[a-z]*(-[a-z0-9]+)?|g\d+[a-z]*|gr\d+[a-z]*)$/.test(family)) {
    return 'nvidia';
  }
  if (/^(inf|trn)\d+[a-z]*$/.test(family)) {
    return 'neuron';
  }
  return undefined;
}

/** The single accelerator of a list of instance types (or none). */
export function nodeAccelerator(scope: IConstruct, instanceTypes: ec2.InstanceType[]): Accelerator | undefined {
  const kinds = new Set(instanceTypes.map((t) => acceleratorOf(t) ?? 'none'));
  if (kinds.size > 1) {
    invalid(
      scope,
      'instanceTypes',
      `mixes accelerators (${[...kinds].join(', ')}), which need different AMIs`,
      'Use one node group per accelerator (NVIDIA GPU, AWS Neuron, none)',
    );
  }
  const [kind] = [...kinds];
  return kind === 'none' || kind === undefined ? undefined : (kind as Accelerator);
}

/** How a user reads an accelerator in a message. */
export const ACCELERATOR_NAMES: Record<Accelerator, string> = {
  nvidia: 'NVIDIA GPUs',
  neuron: 'AWS Neuron accelerators (Inferentia, Trainium)',
  amd: 'AMD GPUs',
};

/** Sizes, hop limit and data volume checks. */
export function checkNodeOptions(scope: IConstruct, props: NodeOptions): void {
  const { minSize, maxSize, desiredSize } = props;
  for (const [prop, size] of [
    ['minSize', minSize],
    ['maxSize', maxSize],
    ['desiredSize', desiredSize],
  ] as const) {
    if (size !== undefined && !Token.isUnresolved(size) && !Number.isInteger(size)) {
      invalid(scope, prop, `is ${size}`, 'Give a whole number of nodes');
    }
  }
  if (minSize !== undefined && minSize < 0) {
    invalid(scope, 'minSize', `is ${minSize}`, 'Use 0 or more');
  }
  if (minSize !== undefined && maxSize !== undefined && maxSize < minSize) {
    invalid(scope, 'maxSize', `(${maxSize}) is smaller than minSize (${minSize})`, 'Raise maxSize or lower minSize');
  }
  if (desiredSize !== undefined && maxSize !== undefined && desiredSize > maxSize) {
    invalid(
      scope,
      'desiredSize',
      `(${desiredSize}) is larger than maxSize (${maxSize})`,
      'Lower desiredSize or raise maxSize',
    );
  }
  const hop = props.httpPutResponseHopLimit;
  if (hop !== undefined && (!Number.isInteger(hop) || hop < 1 || hop > 64)) {
    invalid(scope, 'httpPutResponseHopLimit', `is ${hop}`, 'Use a whole number from 1 to 64 (1 or 2 for EKS nodes)');
  }
  const size = props.dataVolumeSize;
  if (size !== undefined && (!Number.isInteger(size) || size < 20)) {
    invalid(scope, 'dataVolumeSize', `is ${size} GiB`, 'Use at least 20 GiB, the size of the EKS AL2023 AMI snapshot');
  }
}

/**
 * Min, desired and max sizes with the defaults of both kinds of group, adapted to the sizes given so that
 * they always fit `min <= desired <= max`: min defaults to 1 (0 when maxSize is 0), desired to minSize when
 * given, else to 2 capped by maxSize, and max to the larger of min and desired. With `rollingHeadroom`
 * (self-managed groups, which CloudFormation rolls), max defaults to at least min + 1, so that a rolling
 * update can start a new node before it stops an old one.
 */
export function nodeSizes(
  props: NodeOptions,
  options: { readonly rollingHeadroom?: boolean } = {},
): { min: number; desired: number; max: number } {
  const given = [props.minSize, props.desiredSize, props.maxSize].filter((n): n is number => n !== undefined);
  if (given.some((n) => Token.isUnresolved(n))) {
    // Tokens: no arithmetic on them, only the plain defaults.
    const min = props.minSize ?? 1;
    const desired = props.desiredSize ?? props.minSize ?? 2;
    return { min, desired, max: props.maxSize ?? desired };
  }
  const min = props.minSize ?? Math.min(1, props.maxSize ?? 1);
  const desired = props.desiredSize ?? props.minSize ?? Math.max(min, Math.min(2, props.maxSize ?? 2));
  const max = props.maxSize ?? Math.max(min + (options.rollingHeadroom ? 1 : 0), desired);
  return { min, desired, max };
}

/**
 * `MinInstancesInService` of a self-managed group's rolling update: the nodes the group is meant to run
 * (desiredSize when given, else minSize), so an update never takes capacity away. CloudFormation requires
 * it to be below MaxSize: when maxSize leaves no room above that, a group with nodes would lose one (a
 * group of one would drop to zero), so that is an error naming maxSize.
 */
export function minInstancesInService(
  scope: IConstruct,
  props: NodeOptions,
  sizes: { min: number; desired: number; max: number },
): number {
  const inService = props.desiredSize ?? sizes.min;
  if ([inService, sizes.max].some((n) => Token.isUnresolved(n))) {
    return 0;
  }
  if (inService > 0 && inService >= sizes.max) {
    invalid(
      scope,
      'maxSize',
      `(${sizes.max}) leaves no room above the ${inService} node(s) the group runs, so a rolling update would have to stop a node before it starts its replacement`,
      `Raise maxSize to at least ${inService + 1}`,
    );
  }
  return inService;
}

/** Fail when the family has no AMI for the cluster's Kubernetes version; warn when it will likely hurt. */
export function checkFamilyVersion(scope: IConstruct, family: NodeFamilySpec, context: INodeContext): void {
  const version = context.version.version;
  if (Token.isUnresolved(version)) {
    return;
  }
  const problem = family.versionProblem(version);
  if (problem) {
    invalid(
      scope,
      'family',
      problem,
      'Pick a node family that supports this Kubernetes version (NodeFamily.AMAZON_LINUX_2023 supports every current one)',
    );
  }
  const warning = family.warning(version);
  if (warning) {
    Annotations.of(scope).addWarningV2(`cdk-private-eks:node-family-${family.name}`, warning);
  }
}

/** Options of `nodeLaunchTemplate`. */
export interface NodeLaunchTemplateOptions {
  readonly cluster: eks.ICluster;
  readonly family: NodeFamilySpec;
  readonly userData?: ec2.UserData;
  readonly machineImage?: ec2.IMachineImage;
  readonly instanceType?: ec2.InstanceType;
  readonly role?: iam.IRole;
  readonly options: NodeOptions;
  /**
   * Name the cluster security group even without extra groups. Self-managed nodes need it; managed
   * node groups get it from EKS when the launch template names none.
   */
  readonly alwaysClusterSecurityGroup: boolean;
}

/**
 * The nodes' launch template: IMDSv2 required with an explicit hop limit, an encrypted gp3 root volume,
 * and the cluster security group kept (a launch template that names security groups replaces it, so
 * it is named first whenever any group is named).
 */
export function nodeLaunchTemplate(scope: Construct, o: NodeLaunchTemplateOptions): ec2.LaunchTemplate {
  const extraGroups = o.options.securityGroups ?? [];
  const clusterSecurityGroup =
    extraGroups.length > 0 || o.alwaysClusterSecurityGroup
      ? ec2.SecurityGroup.fromSecurityGroupId(scope, 'ClusterSecurityGroup', o.cluster.clusterSecurityGroupId)
      : undefined;
  const launchTemplate = new ec2.LaunchTemplate(scope, 'LaunchTemplate', {
    securityGroup: clusterSecurityGroup,
    machineImage: o.machineImage,
    instanceType: o.instanceType,
    role: o.role,
    userData: o.userData,
    requireImdsv2: true,
    httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
    httpPutResponseHopLimit: o.options.httpPutResponseHopLimit ?? 1,
    blockDevices: nodeVolumes(o.family, o.options.dataVolumeSize ?? 20),
  });
  extraGroups.forEach((sg) => launchTemplate.addSecurityGroup(sg));
  return launchTemplate;
}

/** Encrypted gp3 volumes for every device of the family's AMI: the data volume at the node's size. */
function nodeVolumes(family: NodeFamilySpec, dataSizeGiB: number): ec2.BlockDevice[] {
  const ebs = (size: number) =>
    ec2.BlockDeviceVolume.ebs(size, {
      volumeType: ec2.EbsDeviceVolumeType.GP3,
      encrypted: true,
      deleteOnTermination: true,
    });
  const os = family.devices.os;
  return [
    ...(os ? [{ deviceName: os.device, volume: ebs(os.sizeGiB) }] : []),
    { deviceName: family.devices.data, volume: ebs(dataSizeGiB) },
  ];
}

/**
 * The node role both kinds of group create when none is given: the policies of the EKS user guide's node
 * IAM role (ECR pull-only), the IPv6 address permissions aws-eks-v2 adds for IPv6 clusters, and the
 * Systems Manager agent's policy only when asked.
 */
export function createNodeRole(
  scope: Construct,
  id: string,
  cluster: eks.ICluster,
  options: { readonly sessionManager: boolean },
): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    managedPolicies: NODE_ROLE_POLICIES.map((p) => iam.ManagedPolicy.fromAwsManagedPolicyName(p)),
  });
  acknowledgeNodeRolePolicies(role);
  acknowledgeOwnInlinePolicy(
    role,
    "The node role's default policy holds what this group's nodes need besides the AWS managed policies (reading the proxy secret, signalling CloudFormation, IPv6 addresses)",
  );
  if (cluster.ipFamily === eks.IpFamily.IP_V6) {
    // What aws-eks-v2's Nodegroup gives its own node role on an IPv6 cluster (the VPC CNI assigns the addresses).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:AssignIpv6Addresses', 'ec2:UnassignIpv6Addresses'],
        resources: ['arn:aws:ec2:*:*:network-interface/*'],
      }),
    );
  }
  if (options.sessionManager) {
    role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName(SSM_AGENT_POLICY));
    acknowledgeNag(
      role,
      managedPolicyFinding(SSM_AGENT_POLICY),
      'sessionManager is on: AmazonSSMManagedInstanceCore is the policy the Systems Manager user guide documents for its agent',
    );
  }
  return role;
}

/** Kubelet taint strings (`key=value:NoSchedule`) from node group taint specs. */
export function taintStrings(taints: eks.TaintSpec[] = []): string[] {
  const effects: Record<string, string> = {
    [eks.TaintEffect.NO_SCHEDULE]: 'NoSchedule',
    [eks.TaintEffect.PREFER_NO_SCHEDULE]: 'PreferNoSchedule',
    [eks.TaintEffect.NO_EXECUTE]: 'NoExecute',
  };
  return taints.map((t) => `${t.key}=${t.value ?? ''}:${effects[t.effect ?? eks.TaintEffect.NO_SCHEDULE]}`);
}
