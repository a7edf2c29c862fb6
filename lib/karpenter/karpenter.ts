import { Annotations, Duration, FeatureFlags, Fn, Stack, Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { EKS_USE_NATIVE_OIDC_PROVIDER } from 'aws-cdk-lib/cx-api';
import { Construct, IDependable } from 'constructs';
import { controllerPolicyDocuments, PolicyDocumentJson, substitutePlaceholders } from './controller-policy';
import {
  ControllerProxyValues,
  KARPENTER_CHART_REPOSITORY,
  KARPENTER_CHART_VERSION,
  KARPENTER_CONTROLLER_IMAGE,
  KARPENTER_CRD_CHART_REPOSITORY,
  KARPENTER_NAMESPACE,
  KARPENTER_SERVICE_ACCOUNT,
  renderControllerValues,
} from './helm-values';
import { AMI_ALIASES, renderEc2NodeClass, renderKarpenterNodePool, userDataText } from './manifests';
import { AddonProfile } from '../addons/catalogue';
import { NamespaceProxyEnvironment } from '../manifests/proxy-environment';
import { addManifestWithDeployTimeValues } from '../manifests/proxy-manifests';
import { INodeContext } from '../nodes/node-context';
import { checkFamilyVersion, createNodeRole } from '../nodes/node-group-base';
import { NodeFamily } from '../nodes/node-family';
import { checkUserDataSize, renderNodeUserData } from '../nodes/node-user-data';
import { checkRoutes } from '../preflight/route-rules';
import { invalid } from '../errors';
import { parseImageReference } from '../private/image-reference';
import { acknowledgeNag, nagResourceText } from '../private/nag';

/** Karpenter for a `PrivateEksCluster` (its `karpenter` prop). */
export interface KarpenterOptions {
  /**
   * The Karpenter chart version. Its CRDs must match the objects this library writes (`karpenter.sh/v1`,
   * `karpenter.k8s.aws/v1`): the tests validate them against the CRDs of the pinned version.
   *
   * @default KARPENTER_CHART_VERSION ('1.14.1')
   */
  readonly chartVersion?: string;

  /**
   * The OCI repository of the chart, e.g. a private ECR copy `oci://111122223333.dkr.ecr.eu-west-1.amazonaws.com/karpenter/karpenter`
   * (the kubectl provider logs in to ECR itself). Required without a proxy: the public registry is then out of reach.
   *
   * @default 'oci://public.ecr.aws/karpenter/karpenter', through the proxy
   */
  readonly chartRepository?: string;

  /**
   * The OCI repository of the CRD chart (`karpenter-crd`, the same version), which installs and upgrades
   * Karpenter's CRDs: Helm installs a chart's `crds/` only once and never upgrades them, so the Karpenter upgrade
   * guide recommends this chart ("CRD Upgrades"). Required without a proxy, as `chartRepository`.
   *
   * @default 'oci://public.ecr.aws/karpenter/karpenter-crd', through the proxy
   */
  readonly crdChartRepository?: string;

  /**
   * The repository of the controller image, without tag or digest, e.g. a private ECR copy
   * `111122223333.dkr.ecr.eu-west-1.amazonaws.com/karpenter/controller`. Required without a proxy.
   *
   * @default - the chart's, `public.ecr.aws/karpenter/controller`, pulled through the proxy
   */
  readonly controllerImage?: string;

  /**
   * The digest of the controller image (`sha256:...`).
   *
   * @default - the chart's: right for a copy that kept the image's digest (`crane copy`, `skopeo copy --all`)
   */
  readonly controllerImageDigest?: string;

  /**
   * How the controller gets its AWS credentials: EKS Pod Identity (the cluster installs the Pod Identity agent
   * add-on, whose EKS Auth endpoint it adds) or IAM roles for service accounts (the cluster's OIDC provider: the
   * native `AWS::IAM::OIDCProvider` when the app sets `@aws-cdk/aws-eks:useNativeOidcProvider`, as `cdk init`
   * does, else aws-eks-v2's deprecated custom resource and a synth warning saying so).
   *
   * @default eks.IdentityType.POD_IDENTITY
   */
  readonly identityType?: eks.IdentityType;

  /**
   * Karpenter's `settings.isolatedVPC`: no on-demand pricing lookups (there is no pricing endpoint in most
   * regions) and no IAM calls (there is no IAM endpoint). Karpenter then prices with the data it ships.
   *
   * @default - true without a proxy; false with one, whose allowlist must then let the controller reach
   * `api.pricing.us-east-1.amazonaws.com` and `iam.amazonaws.com`
   */
  readonly isolatedVpc?: boolean;

  /**
   * Interruption handling: an SQS queue (SSE, TLS only, 5 minutes retention) fed by the EventBridge rules
   * Karpenter documents (Spot interruption, rebalance, instance state change, capacity reservation
   * interruption, AWS Health scheduled changes), so that Karpenter drains nodes ahead of an interruption.
   *
   * @default true
   */
  readonly interruptionHandling?: boolean;

  /**
   * The node families of the EC2NodeClasses, one class each (`cdk-private-eks-al2023`,
   * `cdk-private-eks-bottlerocket`), with the user data of the cluster's node groups of that family.
   * Amazon Linux 2 has no Karpenter alias for current Kubernetes versions and is refused.
   *
   * @default [NodeFamily.AMAZON_LINUX_2023]
   */
  readonly nodeFamilies?: NodeFamily[];

  /**
   * The Amazon Linux 2023 AMI version of the `cdk-private-eks-al2023` EC2NodeClass: the EKS AMI release tag,
   * e.g. `v20240807` (Karpenter docs, "spec.amiSelectorTerms", lists the versions of a region). Karpenter
   * recommends a pinned version in production: with `latest`, every AMI release replaces all the nodes.
   *
   * @default 'latest'
   */
  readonly al2023AmiVersion?: string;

  /**
   * The Bottlerocket AMI version of the `cdk-private-eks-bottlerocket` EC2NodeClass, e.g. `v1.20.4`, as
   * `al2023AmiVersion`.
   *
   * @default 'latest'
   */
  readonly bottlerocketAmiVersion?: string;

  /**
   * Size of the encrypted gp3 volume that holds containers and images, in GiB (as `dataVolumeSize` of node groups).
   *
   * @default 20
   */
  readonly dataVolumeSize?: number;

  /**
   * A NodePool `cdk-private-eks-default` on the first EC2NodeClass: on-demand C, M and R instances of
   * generation 5 or newer. Turn it off to write NodePools of your own (`nodeClassRef.name` one of
   * `nodeClassNames`).
   *
   * @default true
   */
  readonly defaultNodePool?: boolean;
}

/** The props of `Karpenter`: the options and what it needs of the cluster. */
export interface KarpenterProps extends KarpenterOptions {
  /**
   * The cluster's node context (`PrivateEksCluster.nodeContext`). Give the cluster the `karpenter` prop rather
   * than creating this yourself: the cluster then adds the endpoints and the Pod Identity agent.
   */
  readonly nodeContext: INodeContext;

  /**
   * The proxy environment of `kube-system` (`PrivateEksCluster.addProxyEnvironment('kube-system')`).
   *
   * @default - the cluster has no proxy
   */
  readonly proxyEnvironment?: NamespaceProxyEnvironment;
}

/**
 * Why the wildcards of Karpenter's statements (its CloudFormation, v1.14.1) stay, by statement id. The node
 * lifecycle statements are a text document (their condition keys name the cluster), which cdk-nag does not read;
 * their wildcards are ids of instances, volumes and launch templates Karpenter creates, held to the cluster's tags.
 */
const WILDCARD_REASONS: Record<string, string> = {
  AllowRegionalReadActions:
    "Karpenter's EC2 Describe calls support no resource-level permissions (Service Authorization Reference, Amazon EC2); the statement is held to the cluster's region",
  AllowSSMReadActions:
    'Karpenter resolves its AMI aliases from the public parameters under /aws/service/ (the EKS and Bottlerocket AMI parameters), which AWS owns and names per version',
  AllowPricingReadActions:
    'pricing:GetProducts supports no resource-level permissions (Service Authorization Reference, AWS Price List)',
  AllowUnscopedInstanceProfileListAction:
    'iam:ListInstanceProfiles supports no resource-level permissions but a path (Service Authorization Reference, IAM); Karpenter lists the profiles it may have created to collect them, and it creates none here',
  AllowInstanceProfileReadActions:
    'Karpenter reads instance profiles by the names it derives (its garbage collection, the cleanup when an EC2NodeClass is deleted, which fails without it); reading a profile grants nothing',
};

/** The controller's identity type: `identityType`, Pod Identity by default. */
export function controllerIdentityType(options: KarpenterOptions): eks.IdentityType {
  return options.identityType ?? eks.IdentityType.POD_IDENTITY;
}

/**
 * The add-on profiles Karpenter brings to a cluster: its own endpoints, and the Pod Identity agent's when its
 * controller uses Pod Identity.
 */
export function karpenterProfiles(options: KarpenterOptions): AddonProfile[] {
  const podIdentity = controllerIdentityType(options) === eks.IdentityType.POD_IDENTITY;
  return [AddonProfile.KARPENTER, ...(podIdentity ? [AddonProfile.POD_IDENTITY_AGENT] : [])];
}

/** The prefix of our EC2NodeClass and NodePool names, as the Auto Mode NodeClass's. */
const NAME_PREFIX = 'cdk-private-eks';

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * The EventBridge rules of Karpenter's CloudFormation (v1.14.1 getting-started `cloudformation.yaml`):
 * source and detail type of each.
 */
export const INTERRUPTION_EVENTS: ReadonlyArray<{
  readonly id: string;
  readonly source: string;
  readonly detailType: string;
}> = [
  { id: 'ScheduledChangeRule', source: 'aws.health', detailType: 'AWS Health Event' },
  { id: 'SpotInterruptionRule', source: 'aws.ec2', detailType: 'EC2 Spot Instance Interruption Warning' },
  { id: 'RebalanceRule', source: 'aws.ec2', detailType: 'EC2 Instance Rebalance Recommendation' },
  { id: 'InstanceStateChangeRule', source: 'aws.ec2', detailType: 'EC2 Instance State-change Notification' },
  {
    id: 'CapacityReservationInterruptionRule',
    source: 'aws.ec2',
    detailType: 'EC2 Capacity Reservation Instance Interruption Warning',
  },
];

/**
 * Karpenter behind the proxy: the controller from its Helm chart (through the cluster's kubectl provider) with
 * the proxy environment of `kube-system`, its IAM (Pod Identity or IRSA, Karpenter's own policies without what
 * an instance profile of ours makes unneeded), the interruption queue and its rules; the node role, its
 * instance profile and EC2_LINUX access entry; one EC2NodeClass per family whose user data is our node
 * groups' (boothook, NodeConfig environment, CA bundle, registry mirrors; no cluster fields: Karpenter adds
 * them), and a default NodePool. lib/karpenter/*.ts renders the objects; this validates, wires and delegates.
 */
export class Karpenter extends Construct {
  /** The Helm release of the controller. */
  public readonly chart: eks.HelmChart;

  /** The Helm release of Karpenter's CRDs (`karpenter-crd`). */
  public readonly crdChart: eks.HelmChart;

  /** The IAM role of the controller. */
  public readonly controllerRole: iam.IRole;

  /** The node role of Karpenter's nodes. */
  public readonly nodeRole: iam.IRole;

  /** The instance profile of Karpenter's nodes (the EC2NodeClasses name it). */
  public readonly instanceProfile: iam.IInstanceProfile;

  /** The interruption queue, when interruption handling is on. */
  public readonly interruptionQueue?: sqs.IQueue;

  /** The EC2NodeClasses' manifest (NodePools of your own depend on it). */
  public readonly nodeClasses: eks.KubernetesManifest;

  /** The names of the EC2NodeClasses, in the order of `nodeFamilies`. */
  public readonly nodeClassNames: string[];

  /** The default NodePool's manifest, when it is on. */
  public readonly nodePools?: eks.KubernetesManifest;

  /** Whether the controller runs with `settings.isolatedVPC`. */
  public readonly isolatedVpc: boolean;

  private nodeGroups = 0;

  constructor(scope: Construct, id: string, props: KarpenterProps) {
    super(scope, id);
    const context = props.nodeContext;
    const cluster = context.cluster;
    const proxy = context.proxy;
    const environment = props.proxyEnvironment;
    if ((proxy === undefined) !== (environment === undefined)) {
      invalid(
        this,
        'proxyEnvironment',
        proxy ? 'is missing, but the cluster has a proxy' : 'is given, but the cluster has no proxy',
        "Give the cluster's addProxyEnvironment('kube-system') exactly when it has a proxy (the karpenter prop does)",
      );
    }
    checkRoutes(this, 'karpenter', { proxy: proxy !== undefined, credentials: false }, (s) => context.endpoints.has(s));
    const families = this.checkFamilies(props.nodeFamilies ?? [NodeFamily.AMAZON_LINUX_2023]);
    families.forEach((f) => checkFamilyVersion(this, f._spec, context));
    const chartVersion = props.chartVersion ?? KARPENTER_CHART_VERSION;
    const chartRepository = props.chartRepository ?? KARPENTER_CHART_REPOSITORY;
    this.checkSources(chartVersion, props, proxy !== undefined);
    this.isolatedVpc = props.isolatedVpc ?? proxy === undefined;
    if (!this.isolatedVpc && !proxy) {
      invalid(
        this,
        'karpenter.isolatedVpc',
        'is false without a proxy, but the pricing and IAM APIs Karpenter then calls have no VPC endpoint',
        'Leave isolatedVpc unset (true without a proxy), or give the cluster a proxy',
      );
    }

    // The nodes: role (the EKS node policies), instance profile, access entry.
    const nodeRole = createNodeRole(this, 'NodeRole', cluster, { sessionManager: false });
    context.grantProxyCredentials(nodeRole);
    context.grantImageCache(nodeRole);
    this.nodeRole = nodeRole;
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: nodeRole });
    const accessEntry = new eks.AccessEntry(this, 'NodeAccessEntry', {
      cluster,
      principal: nodeRole.roleArn,
      accessEntryType: eks.AccessEntryType.EC2_LINUX,
      accessPolicies: [],
    });

    // The interruption queue and its rules.
    if (props.interruptionHandling ?? true) {
      this.interruptionQueue = this.createInterruptionQueue();
    }

    // The controller's identity and policies.
    const identity = this.createControllerIdentity(cluster, controllerIdentityType(props));
    this.controllerRole = identity.role;
    const policies = this.attachControllerPolicies(cluster, identity.role);

    // The chart, with the proxy environment of kube-system.
    const proxyValues: ControllerProxyValues | undefined = environment && {
      envFrom: environment.envFrom(),
      env: environment.caEnv(),
      volumes: environment.caVolumes(),
      volumeMounts: environment.caVolumeMounts(),
      podAnnotations: environment.podAnnotations(),
    };
    // The CRDs from their own chart, upgraded with the version; the controller's chart skips its copy of them.
    this.crdChart = new eks.HelmChart(this, 'CrdChart', {
      cluster,
      chart: 'karpenter-crd',
      release: 'karpenter-crd',
      repository: props.crdChartRepository ?? KARPENTER_CRD_CHART_REPOSITORY,
      version: chartVersion,
      namespace: KARPENTER_NAMESPACE,
      createNamespace: false,
      wait: true,
    });
    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster,
      chart: 'karpenter',
      release: 'karpenter',
      repository: chartRepository,
      skipCrds: true,
      version: chartVersion,
      namespace: KARPENTER_NAMESPACE,
      createNamespace: false,
      wait: true,
      timeout: Duration.minutes(10),
      values: renderControllerValues({
        region: Stack.of(this).region,
        clusterName: cluster.clusterName,
        clusterEndpoint: cluster.clusterEndpoint,
        isolatedVpc: this.isolatedVpc,
        interruptionQueue: this.interruptionQueue?.queueName,
        // IRSA's service account is aws-eks-v2's (with the role annotation); Pod Identity's is the chart's.
        createServiceAccount: identity.serviceAccount === undefined,
        image:
          props.controllerImage !== undefined || props.controllerImageDigest !== undefined
            ? { repository: props.controllerImage ?? KARPENTER_CONTROLLER_IMAGE, digest: props.controllerImageDigest }
            : undefined,
        proxy: proxyValues,
      }),
    });
    this.chart.node.addDependency(this.crdChart);
    for (const d of [...policies, identity.dependable, ...(environment ? [environment.dependable] : [])]) {
      this.chart.node.addDependency(d);
    }

    // The EC2NodeClasses (after the charts: the CRDs, then the controller that validates them) and the default NodePool.
    const dataVolumeGiB = props.dataVolumeSize ?? 20;
    const subnetIds = cluster.vpc.selectSubnets(context.subnets).subnetIds;
    this.nodeClassNames = families.map((f) => `${NAME_PREFIX}-${f.name.toLowerCase()}`);
    const amiVersions = this.amiVersions(families, props);
    const nodeClassObjects = families.map((family, i) => {
      const rendered = renderNodeUserData(this, family._spec, {
        proxy: context.proxy,
        registryMirrors: context.registryMirrors,
      });
      const userData = userDataText(rendered);
      if (userData !== undefined) {
        // Karpenter adds a NodeConfig with the cluster fields (about 2 KB with the cluster CA) on AL2023, its
        // settings on Bottlerocket: counted as 2 KB.
        checkUserDataSize(this, userData, 2048, ', with 2 KB for the cluster fields Karpenter adds');
      }
      return renderEc2NodeClass({
        name: this.nodeClassNames[i],
        family: family._spec,
        instanceProfile: this.instanceProfile.instanceProfileName,
        subnetIds,
        securityGroupIds: [cluster.clusterSecurityGroupId],
        userData,
        amiVersion: amiVersions[i],
        dataVolumeGiB,
      });
    });
    this.nodeClasses = addManifestWithDeployTimeValues(
      cluster,
      `${id}NodeClasses`,
      nodeClassObjects.map((o) => ({ ...o })),
    );
    this.nodeClasses.node.addDependency(this.chart, accessEntry, this.instanceProfile);
    if (props.defaultNodePool ?? true) {
      this.nodePools = new eks.KubernetesManifest(this, 'NodePools', {
        cluster,
        manifest: [renderKarpenterNodePool(`${NAME_PREFIX}-default`, this.nodeClassNames[0])],
      });
      this.nodePools.node.addDependency(this.nodeClasses);
    }
    this.noteRoutes(
      proxy !== undefined,
      props.chartRepository === undefined || props.crdChartRepository === undefined,
      props.controllerImage === undefined,
    );
    this.node.addValidation({
      validate: () => {
        if (this.nodeGroups === 0) {
          Annotations.of(this).addWarningV2(
            'cdk-private-eks:karpenter-controller-nodes',
            "Karpenter's controller runs on nodes it does not manage, and the chart waits for it: add a node group through the cluster (addProxiedNodeGroup or addSelfManagedNodeGroup), or give a group of your own to karpenter.runControllerOn(), so that the chart waits for it",
          );
        }
        return [];
      },
    });
  }

  /**
   * Let the chart wait for a node group the controller can run on (called by the cluster for the groups it adds).
   * @param group the node group (or its Auto Scaling group)
   */
  public runControllerOn(group: IDependable): void {
    this.nodeGroups += 1;
    this.chart.node.addDependency(group);
  }

  /** Each family's AMI version, checked; a note when one follows `latest`. */
  private amiVersions(families: NodeFamily[], props: KarpenterOptions): string[] {
    const given: Record<string, [string, string | undefined]> = {
      AL2023: ['al2023AmiVersion', props.al2023AmiVersion],
      BOTTLEROCKET: ['bottlerocketAmiVersion', props.bottlerocketAmiVersion],
    };
    const latest: string[] = [];
    const versions = families.map((family) => {
      const [prop, version] = given[family.name];
      const grammar = AMI_ALIASES[family.name];
      if (version === undefined || version === 'latest') {
        latest.push(prop);
        return 'latest';
      }
      if (typeof version !== 'string' || Token.isUnresolved(version) || !grammar.version.test(version)) {
        invalid(
          this,
          `karpenter.${prop}`,
          `'${String(version)}' is not a ${family.name} AMI release (known at synth time)`,
          `Give the release tag, e.g. '${grammar.example}', or 'latest'`,
        );
      }
      return version;
    });
    for (const [family, [prop, version]] of Object.entries(given)) {
      if (version !== undefined && !families.some((f) => f.name === family)) {
        invalid(
          this,
          `karpenter.${prop}`,
          `is set, but nodeFamilies has no ${family}`,
          `Add the family, or drop ${prop}`,
        );
      }
    }
    if (latest.length > 0) {
      Annotations.of(this).addInfo(
        `cdk-private-eks: Karpenter's nodes follow the latest AMI: each release replaces every node (drift). Karpenter recommends a pinned version in production: set ${latest.join(', ')}`,
      );
    }
    return versions;
  }

  private checkFamilies(families: NodeFamily[]): NodeFamily[] {
    if (families.length === 0) {
      invalid(
        this,
        'karpenter.nodeFamilies',
        'is empty',
        'Give at least one family, or leave it unset for Amazon Linux 2023',
      );
    }
    families.forEach((f, i) => {
      if (f !== NodeFamily.AMAZON_LINUX_2023 && f !== NodeFamily.BOTTLEROCKET) {
        invalid(
          this,
          `karpenter.nodeFamilies[${i}]`,
          `is ${f.name}, which Karpenter's EC2NodeClass has no AMI alias for among current Kubernetes versions`,
          'Use NodeFamily.AMAZON_LINUX_2023 or NodeFamily.BOTTLEROCKET',
        );
      }
      if (families.indexOf(f) !== i) {
        invalid(this, `karpenter.nodeFamilies[${i}]`, `names ${f.name} twice`, 'Give each family once');
      }
    });
    return families;
  }

  /** The chart version, repository and image: grammars, and reachable without a proxy. */
  private checkSources(chartVersion: string, props: KarpenterOptions, hasProxy: boolean): void {
    const known = (v: string | undefined): v is string => typeof v === 'string' && !Token.isUnresolved(v);
    if (known(chartVersion) && !SEMVER.test(chartVersion)) {
      invalid(
        this,
        'karpenter.chartVersion',
        `'${chartVersion}' is not a chart version`,
        "Give a version such as '1.14.1'",
      );
    }
    for (const [prop, repository] of [
      ['chartRepository', props.chartRepository],
      ['crdChartRepository', props.crdChartRepository],
    ] as const) {
      if (known(repository)) {
        const ref = repository.startsWith('oci://')
          ? parseImageReference(repository.slice('oci://'.length))
          : undefined;
        if (ref === undefined || typeof ref === 'string' || ref.tag !== undefined || ref.digest !== undefined) {
          invalid(
            this,
            `karpenter.${prop}`,
            `'${repository}' is not an OCI repository`,
            'Give oci://REGISTRY/PATH without tag or digest, e.g. oci://111122223333.dkr.ecr.eu-west-1.amazonaws.com/karpenter/karpenter',
          );
        }
      }
      const fallback = prop === 'chartRepository' ? KARPENTER_CHART_REPOSITORY : KARPENTER_CRD_CHART_REPOSITORY;
      if (!hasProxy && repository === undefined) {
        invalid(
          this,
          `karpenter.${prop}`,
          `is not set, so the chart would come from ${fallback}, which a cluster without a proxy cannot reach`,
          'Copy the chart into a private ECR repository (helm pull, helm push) and give its oci:// URL',
        );
      }
    }
    const image = props.controllerImage;
    if (known(image)) {
      const ref = parseImageReference(image);
      if (typeof ref === 'string' || ref.tag !== undefined || ref.digest !== undefined || !image.includes('/')) {
        invalid(
          this,
          'karpenter.controllerImage',
          `'${image}' is not an image repository with its registry`,
          'Give REGISTRY/PATH without tag or digest (the digest goes in controllerImageDigest)',
        );
      }
    }
    const digest = props.controllerImageDigest;
    if (known(digest) && !DIGEST.test(digest)) {
      invalid(
        this,
        'karpenter.controllerImageDigest',
        `'${digest}' is not a sha256 digest`,
        'Give sha256: and 64 lower-case hex digits',
      );
    }
    if (!hasProxy && image === undefined) {
      invalid(
        this,
        'karpenter.controllerImage',
        'is not set, so nodes would pull public.ecr.aws/karpenter/controller, which a cluster without a proxy cannot reach',
        'Copy the image into a private ECR repository keeping its digest (crane copy) and give the repository',
      );
    }
  }

  private createInterruptionQueue(): sqs.Queue {
    const queue = new sqs.Queue(this, 'InterruptionQueue', {
      retentionPeriod: Duration.minutes(5),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    acknowledgeNag(
      queue,
      'AwsSolutions-SQS3',
      'Karpenter consumes the interruption events and deletes each one; an event it cannot handle is useless minutes later (the queue keeps them 5 minutes, as Karpenter documents), so a dead-letter queue would hold nothing anyone acts on',
    );
    for (const e of INTERRUPTION_EVENTS) {
      new events.Rule(this, e.id, {
        eventPattern: { source: [e.source], detailType: [e.detailType] },
        targets: [new targets.SqsQueue(queue)],
      });
    }
    return queue;
  }

  /** The controller's role and how its pods get it: a Pod Identity association, or IRSA's service account. */
  private createControllerIdentity(
    cluster: eks.ICluster,
    identityType: eks.IdentityType,
  ): { role: iam.IRole; dependable: IDependable; serviceAccount?: eks.ServiceAccount } {
    if (identityType === eks.IdentityType.IRSA) {
      // IRSA needs the cluster's IAM OIDC provider, which aws-eks-v2 makes on first use (Cluster.openIdConnectProvider):
      // the native AWS::IAM::OIDCProvider when the app enables @aws-cdk/aws-eks:useNativeOidcProvider (aws-cdk-lib
      // 2.237+; `cdk init` sets it, cx-api FEATURE_FLAGS.md), else its deprecated custom resource, a Lambda function
      // that creates the provider, and aws-cdk-lib's deprecation warning that names neither the flag nor the cause.
      if (!FeatureFlags.of(this).isEnabled(EKS_USE_NATIVE_OIDC_PROVIDER)) {
        Annotations.of(this).addWarningV2(
          'cdk-private-eks:karpenter-irsa-oidc-provider',
          `karpenter.identityType IRSA: aws-eks-v2 gives the cluster its deprecated OIDC provider (a custom resource with a Lambda function) because the app does not enable "${EKS_USE_NATIVE_OIDC_PROVIDER}". Set it to true in cdk.json "context" (cdk init does) for the native AWS::IAM::OIDCProvider, or keep the default identityType, EKS Pod Identity, which needs no OIDC provider`,
        );
      }
      const serviceAccount = new eks.ServiceAccount(this, 'ServiceAccount', {
        cluster,
        name: KARPENTER_SERVICE_ACCOUNT,
        namespace: KARPENTER_NAMESPACE,
        identityType: eks.IdentityType.IRSA,
      });
      return { role: serviceAccount.role, dependable: serviceAccount, serviceAccount };
    }
    const role = new iam.Role(this, 'ControllerRole', {
      // EKS user guide, "Create a role for EKS Pod Identity": pods.eks.amazonaws.com, sts:AssumeRole and sts:TagSession.
      assumedBy: new iam.SessionTagsPrincipal(new iam.ServicePrincipal('pods.eks.amazonaws.com')),
    });
    const association = new eks.CfnPodIdentityAssociation(this, 'PodIdentityAssociation', {
      clusterName: cluster.clusterName,
      namespace: KARPENTER_NAMESPACE,
      serviceAccount: KARPENTER_SERVICE_ACCOUNT,
      roleArn: role.roleArn,
    });
    return { role, dependable: association };
  }

  /** Karpenter's policies (lib/karpenter/controller-policy.ts), one customer managed policy each, as upstream. */
  private attachControllerPolicies(cluster: eks.ICluster, role: iam.IRole): iam.CfnManagedPolicy[] {
    const documents = controllerPolicyDocuments({
      isolatedVpc: this.isolatedVpc,
      interruptionQueue: this.interruptionQueue !== undefined,
    });
    const variables: Record<string, string> = {
      ClusterName: cluster.clusterName,
      NodeRoleArn: this.nodeRole.roleArn,
      ...(this.interruptionQueue ? { QueueArn: this.interruptionQueue.queueArn } : {}),
    };
    // Each Fn::Sub gets the variables its text names (CloudFormation refuses unused ones, W1019).
    const sub = (text: string): string =>
      Fn.sub(text, Object.fromEntries(Object.entries(variables).filter(([v]) => text.includes(`\${${v}}`))));
    return Object.entries(documents).map(([name, document]) => {
      const policy = new iam.CfnManagedPolicy(this, name, {
        description: `Karpenter controller: ${name} of Karpenter's CloudFormation (v1.14.1)`,
        policyDocument: substitutePlaceholders(document, sub),
        roles: [role.roleName],
      });
      this.acknowledgeWildcards(policy, document, sub);
      return policy;
    });
  }

  /**
   * Acknowledge cdk-nag's wildcard findings on a document it can read (an object document), statement by
   * statement, with why each wildcard is Karpenter's own and cannot be narrowed.
   */
  private acknowledgeWildcards(
    policy: iam.CfnManagedPolicy,
    document: PolicyDocumentJson,
    sub: (text: string) => string,
  ): void {
    const stack = Stack.of(this);
    for (const statement of document.Statement) {
      const reason = WILDCARD_REASONS[statement.Sid as string];
      for (const resource of [statement.Resource].flat() as string[]) {
        if (reason && resource.includes('*')) {
          const resolved = stack.resolve(resource.includes('${') ? sub(resource) : resource);
          acknowledgeNag(policy, `AwsSolutions-IAM5[Resource::${nagResourceText(resolved)}]`, reason);
        }
      }
    }
  }

  /** What the proxy must let through, in the synth notes. */
  private noteRoutes(hasProxy: boolean, publicChart: boolean, publicImage: boolean): void {
    if (!hasProxy) {
      return;
    }
    const hosts = [
      ...(publicChart
        ? ['public.ecr.aws (the charts; the kubectl provider logs in at api.ecr-public.us-east-1.amazonaws.com)']
        : []),
      ...(publicImage ? ['public.ecr.aws (the controller image, pulled by the nodes)'] : []),
      ...(this.isolatedVpc
        ? []
        : [
            'api.pricing.us-east-1.amazonaws.com (on-demand prices)',
            'iam.amazonaws.com (instance profile garbage collection)',
          ]),
    ];
    if (hosts.length > 0) {
      Annotations.of(this).addInfo(`cdk-private-eks: Karpenter reaches through the proxy: ${hosts.join('; ')}`);
    }
  }
}
