import { CfnElement, Duration, Lazy, Stack, Tags } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { invalid } from '../errors';
import { acknowledgeNag } from '../private/nag';
import { INodeContext } from './node-context';
import { NodeFamily } from './node-family';
import {
  createNodeRole,
  nodeLaunchTemplate,
  ACCELERATOR_NAMES,
  minInstancesInService,
  nodeSizes,
  requireBootstrap,
  startNodeGroup,
  taintStrings,
} from './node-group-base';
import { buildNodeUserData } from './node-user-data';
import { NodeOptions } from './node-options';
import { Accelerator, Arch, NodeFamilySpec } from './user-data/family';

/** Minutes a node needs from launch to the start of its ready-signal unit (boot, nodeadm), kept in reserve. */
const SIGNAL_BOOT_MARGIN_MINUTES = 4;

/** Seconds the proxy or the API server may stay unreachable before a node signals failure (at most half its timeout). */
const SIGNAL_UNREACHABLE_SECONDS = 180;

/** Seconds between two checks of the ready signal. */
const SIGNAL_POLL_SECONDS = 10;

/**
 * Options for self-managed nodes that carry the cluster's proxy settings.
 */
export interface SelfManagedNodeGroupOptions extends NodeOptions {
  /**
   * How long CloudFormation waits for each node to report that it is `Ready` in the cluster (Amazon
   * Linux: the API server says so, asked with kubelet's identity). A node whose proxy or API server stays
   * unreachable for 3 minutes (at most half this time) signals failure at once, with the reason on its
   * console; any other node that is not Ready fails the deployment after this time.
   *
   * @default Duration.minutes(15)
   */
  readonly signalTimeout?: Duration;

  /**
   * An SNS topic that gets the group's launch, termination and error notifications.
   *
   * @default - none (scaling events stay in the Auto Scaling activity history and CloudTrail)
   */
  readonly notificationTopic?: sns.ITopic;
}

/**
 * Props for `SelfManagedNodeGroup`.
 */
export interface SelfManagedNodeGroupProps extends SelfManagedNodeGroupOptions {
  /** The cluster's node context (`PrivateEksCluster.nodeContext`): its proxy and NO_PROXY list go to the nodes. */
  readonly nodeContext: INodeContext;
}

/**
 * Self-managed nodes: an Auto Scaling group with a launch template, joined to the cluster through an
 * EKS access entry (type EC2_LINUX) for the node role. The nodes bootstrap without calling the EKS API
 * (their user data carries the API server endpoint, CA and service CIDR), signal CloudFormation once
 * the node is Ready in the cluster (a creation policy waits for it), and are replaced in a rolling update when the
 * launch template changes.
 *
 * aws-eks-v2 clusters use the API authentication mode, so no `aws-auth` ConfigMap entry is needed.
 */
export class SelfManagedNodeGroup extends Construct {
  /** The Auto Scaling group. */
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;

  /** The launch template of the nodes. */
  public readonly launchTemplate: ec2.LaunchTemplate;

  /** The IAM role of the nodes. */
  public readonly role: iam.IRole;

  /** The access entry that lets the nodes join. */
  public readonly accessEntry: eks.AccessEntry;

  /** The user data of the nodes. */
  public readonly userData?: ec2.UserData;

  /** The node family. */
  public readonly family: NodeFamily;

  constructor(scope: Construct, id: string, props: SelfManagedNodeGroupProps) {
    super(scope, id);
    // Without a proxy, the ready signal needs the CloudFormation endpoint too (preflight/route-rules.ts).
    const start = startNodeGroup(this, props, 'selfManagedNodes');
    const { context, spec: family, instanceTypes, arch, accelerator } = start;
    this.family = start.family;
    if (instanceTypes.length !== 1) {
      invalid(
        this,
        'instanceTypes',
        `has ${instanceTypes.length} instance types`,
        'Give exactly one for a self-managed group, or use a managed ProxiedNodeGroup for several',
      );
    }
    const timeout = props.signalTimeout ?? Duration.minutes(15);
    if (timeout.toMinutes({ integral: false }) < 5 || timeout.toHours({ integral: false }) > 12) {
      invalid(
        this,
        'signalTimeout',
        `is ${timeout.toHumanString()}`,
        'Use 5 minutes (a node needs a few to boot and join) to 12 hours (the CloudFormation creation policy limit)',
      );
    }

    checkReadySignalVersion(this, this.family, context.version.version);

    this.role =
      props.nodeRole ??
      createNodeRole(this, 'Role', context.cluster, { sessionManager: props.sessionManager ?? false });
    context.grantProxyCredentials(this.role);
    context.grantImageCache(this.role);

    // The user data signals the Auto Scaling group by its logical id, which exists only once the group
    // does; the group needs the launch template, which needs the user data: resolve the id lazily.
    const stack = Stack.of(this);
    const nodeTimeoutSeconds =
      60 * Math.max(1, Math.floor(timeout.toMinutes({ integral: false })) - SIGNAL_BOOT_MARGIN_MINUTES);
    const groupLogicalId = Lazy.string({
      produce: () => stack.getLogicalId(this.autoScalingGroup.node.defaultChild as CfnElement),
    });
    this.userData = buildNodeUserData(this, family, {
      proxy: context.proxy,
      registryMirrors: context.registryMirrors,
      cluster: requireBootstrap(this, context),
      kubelet: { labels: props.labels ?? {}, taints: taintStrings(props.taints) },
      signal: {
        stackName: stack.stackName,
        logicalId: groupLogicalId,
        region: stack.region,
        // CloudFormation's timeout runs from the group's creation; the node's from the signal unit's
        // start, a few minutes into boot. Give up before CloudFormation does, so that the deployment
        // fails with the node's own failure signal rather than a bare timeout.
        timeoutSeconds: nodeTimeoutSeconds,
        // Long enough for a proxy or an API server that restarts; short enough to fail well before the timeout.
        unreachableSeconds: Math.min(SIGNAL_UNREACHABLE_SECONDS, Math.floor(nodeTimeoutSeconds / 2)),
        pollSeconds: SIGNAL_POLL_SECONDS,
      },
    });

    const machineImage = props.machineImage ?? this.familyImage(family, context.version.version, arch, accelerator);
    this.launchTemplate = nodeLaunchTemplate(this, {
      cluster: context.cluster,
      family,
      machineImage,
      userData: this.userData,
      instanceType: instanceTypes[0],
      role: this.role,
      options: props,
      alwaysClusterSecurityGroup: true,
    });
    const sizes = nodeSizes(props, { rollingHeadroom: true });
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'AutoScalingGroup', {
      vpc: context.cluster.vpc,
      vpcSubnets: props.subnets ?? context.subnets,
      launchTemplate: this.launchTemplate,
      minCapacity: sizes.min,
      // Only when asked: a fixed desired capacity resets the group's size on every deployment.
      desiredCapacity: props.desiredSize,
      maxCapacity: sizes.max,
      signals: autoscaling.Signals.waitForMinCapacity({ timeout }),
      notifications: props.notificationTopic ? [{ topic: props.notificationTopic }] : undefined,
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        waitOnResourceSignals: true,
        pauseTime: timeout,
        // Keep every node in service: replacements start before the old nodes stop.
        minInstancesInService: minInstancesInService(this, props, sizes),
        maxBatchSize: 1,
      }),
    });
    if (!props.notificationTopic) {
      acknowledgeNag(
        this.autoScalingGroup,
        'AwsSolutions-AS3',
        'Scaling events stay in the Auto Scaling activity history and CloudTrail; set notificationTopic to be notified',
      );
    }
    Tags.of(this.autoScalingGroup).add(`kubernetes.io/cluster/${context.cluster.clusterName}`, 'owned', {
      applyToLaunchedInstances: true,
    });
    Object.entries(props.tags ?? {}).forEach(([k, v]) =>
      Tags.of(this.autoScalingGroup).add(k, v, { applyToLaunchedInstances: true }),
    );

    this.accessEntry = new eks.AccessEntry(this, 'AccessEntry', {
      cluster: context.cluster,
      principal: this.role.roleArn,
      accessEntryType: eks.AccessEntryType.EC2_LINUX,
      accessPolicies: [],
    });
    // Nodes must be allowed in before the group waits for them to become healthy.
    this.autoScalingGroup.node.addDependency(this.accessEntry);
  }

  /** The family's EKS-optimized AMI for the instance type (its accelerated variant for accelerated instances). */
  private familyImage(
    family: NodeFamilySpec,
    version: string,
    arch: Arch,
    accelerator: Accelerator | undefined,
  ): ec2.IMachineImage {
    const parameter = family.amiParameter(version, arch, accelerator);
    if (parameter === undefined) {
      invalid(
        this,
        'machineImage',
        `is not set and the instance type has ${ACCELERATOR_NAMES[accelerator!]}, for which the ${family.name} node family publishes no ${arch} EKS-optimized AMI`,
        accelerator === 'amd'
          ? 'No EKS-optimized AMI drives AMD GPUs: give a machineImage of your own, or use an NVIDIA instance type'
          : 'Give a machineImage, pick a node family with an AMI for it, or use another instance type',
      );
    }
    return ec2.MachineImage.fromSsmParameter(parameter);
  }
}

/** The oldest Kubernetes version the Amazon Linux ready signal works with: SelfSubjectReview v1 is GA in 1.28. */
const READY_SIGNAL_MIN_MINOR = 28;

/**
 * The Amazon Linux ready signal asks the API server who the node is with a SelfSubjectReview
 * (`authentication.k8s.io/v1`, GA in Kubernetes 1.28, Kubernetes API reference): older clusters would
 * answer 404, and every node would signal failure. Bottlerocket signals with its own cfsignal.
 */
function checkReadySignalVersion(scope: Construct, family: NodeFamily, version: string): void {
  const match = /^1\.(\d+)$/.exec(version);
  if (family !== NodeFamily.BOTTLEROCKET && match && Number(match[1]) < READY_SIGNAL_MIN_MINOR) {
    invalid(
      scope,
      'nodeContext.version',
      `is ${version}, older than 1.${READY_SIGNAL_MIN_MINOR}, which the ready signal of self-managed ${family.name} nodes needs (a SelfSubjectReview tells it the node's name)`,
      `Upgrade the cluster to Kubernetes 1.${READY_SIGNAL_MIN_MINOR} or later, or use a managed ProxiedNodeGroup`,
    );
  }
}
