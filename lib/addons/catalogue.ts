import { EndpointService } from '../endpoints/services';
import { DaemonSetTarget, DEFAULT_TARGETS } from '../manifests/proxy-patch';

/**
 * What an EKS add-on (or a common controller installed with Helm) calls in AWS, and which of its
 * Kubernetes objects can be given the proxy. The cluster serves the services through its own
 * `EndpointSet`, or checks at synth that an endpoint or the proxy serves them.
 *
 * Each service list comes from the add-on's documented IAM policy (the actions it may call are the
 * services it calls) and the add-on's page in the EKS user guide; the source is named on each entry.
 */
export class AddonProfile {
  /**
   * Amazon VPC CNI (`vpc-cni`): ENI and IP address management through the EC2 API (the actions of the
   * `AmazonEKS_CNI_Policy` managed policy are all `ec2:`; EKS user guide, "Amazon VPC CNI plugin for
   * Kubernetes"). Its `aws-node` DaemonSet (containers `aws-node`, `aws-eks-nodeagent`) is patched to read
   * the proxy: the add-on's configuration schema accepts no proxy variables (containers-roadmap #2480).
   */
  public static readonly VPC_CNI = new AddonProfile(
    'vpc-cni',
    'vpc-cni',
    [EndpointService.EC2],
    [],
    [DEFAULT_TARGETS[0]],
  );

  /**
   * kube-proxy (`kube-proxy`): talks only to the API server (in NO_PROXY), no AWS API. Its DaemonSet is
   * patched like `aws-node`, so that a proxied cluster's settings reach it.
   */
  public static readonly KUBE_PROXY = new AddonProfile('kube-proxy', 'kube-proxy', [], [], [DEFAULT_TARGETS[1]]);

  /** CoreDNS (`coredns`): DNS only, no AWS API and no HTTP client that needs the proxy. */
  public static readonly COREDNS = new AddonProfile('coredns', 'coredns', [], [], []);

  /**
   * EKS Pod Identity agent (`eks-pod-identity-agent`): `eks-auth:AssumeRoleForPodIdentity` (EKS user guide,
   * "Set up the Amazon EKS Pod Identity Agent": the node role's `AmazonEKSWorkerNodePolicy` grants it).
   * Its DaemonSet `eks-pod-identity-agent` runs one container of that name
   * (aws/eks-pod-identity-agent, charts/eks-pod-identity-agent/templates/daemonset.yaml).
   */
  public static readonly POD_IDENTITY_AGENT = new AddonProfile(
    'eks-pod-identity-agent',
    'eks-pod-identity-agent',
    [EndpointService.EKS_AUTH],
    [],
    [
      {
        name: 'eks-pod-identity-agent',
        namespace: 'kube-system',
        containers: ['eks-pod-identity-agent'],
        keepEnvFrom: [],
      },
    ],
  );

  /**
   * Amazon EBS CSI driver (`aws-ebs-csi-driver`): volumes and attachments through EC2 (the
   * `AmazonEBSCSIDriverPolicy` managed policy: `ec2:` actions, and `kms:` grants that EC2 uses on the
   * caller's behalf), credentials through STS (IAM roles for service accounts, EKS user guide "Amazon EBS
   * CSI driver"). Its pods are not patched: serve both by endpoints.
   */
  public static readonly EBS_CSI_DRIVER = new AddonProfile(
    'aws-ebs-csi-driver',
    'aws-ebs-csi-driver',
    [EndpointService.EC2, EndpointService.STS],
    [],
    [],
  );

  /**
   * Amazon EFS CSI driver (`aws-efs-csi-driver`): access points through the EFS API and
   * `ec2:DescribeAvailabilityZones` (the `AmazonEFSCSIDriverPolicy` managed policy), credentials through
   * STS (EKS user guide, "Amazon EFS CSI driver"). Its pods are not patched: serve them by endpoints.
   */
  public static readonly EFS_CSI_DRIVER = new AddonProfile(
    'aws-efs-csi-driver',
    'aws-efs-csi-driver',
    [EndpointService.ELASTIC_FILESYSTEM, EndpointService.EC2, EndpointService.STS],
    [],
    [],
  );

  /**
   * Amazon CloudWatch Observability (`amazon-cloudwatch-observability`): the CloudWatch agent's metrics
   * (`cloudwatch:PutMetricData`, monitoring), its and Fluent Bit's logs (`logs:`), and `ec2:DescribeTags`,
   * `ec2:DescribeVolumes` for the node's metadata (the `CloudWatchAgentServerPolicy` managed policy the
   * CloudWatch user guide's "Quick start with the Amazon CloudWatch Observability EKS add-on" attaches).
   * Application Signals also sends traces to X-Ray: add `EndpointService.XRAY` when you use it. The
   * agents are reconciled by the add-on's operator, so they are not patched: serve them by endpoints.
   */
  public static readonly CLOUDWATCH_OBSERVABILITY = new AddonProfile(
    'amazon-cloudwatch-observability',
    'amazon-cloudwatch-observability',
    [EndpointService.CLOUDWATCH_MONITORING, EndpointService.CLOUDWATCH_LOGS, EndpointService.EC2],
    [],
    [],
  );

  /**
   * AWS Load Balancer Controller, installed with Helm (eks-charts `aws-load-balancer-controller`): load
   * balancers and target groups (`elasticloadbalancing:`), subnets and security groups (`ec2:`), credentials
   * through STS (its `iam_policy.json` in kubernetes-sigs/aws-load-balancer-controller, docs/install). The
   * same policy allows ACM, WAF, WAFv2, Shield and Cognito for ingresses that use them: add those endpoints,
   * or turn the features off (Helm values `enableShield`, `enableWaf`, `enableWafv2`: false) in a cluster
   * without them. Give its Deployment the proxy with `proxyEnvironment`'s Helm values.
   */
  public static readonly AWS_LOAD_BALANCER_CONTROLLER = new AddonProfile(
    'aws-load-balancer-controller',
    undefined,
    [EndpointService.ELASTIC_LOAD_BALANCING, EndpointService.EC2, EndpointService.STS],
    [],
    [],
  );

  /**
   * Cluster Autoscaler, installed with Helm: `autoscaling:` and `ec2:Describe*` (the IAM policy of its
   * AWS cloud provider README, kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws), credentials
   * through STS.
   */
  public static readonly CLUSTER_AUTOSCALER = new AddonProfile(
    'cluster-autoscaler',
    undefined,
    [EndpointService.AUTOSCALING, EndpointService.EC2, EndpointService.STS],
    [],
    [],
  );

  /**
   * ExternalDNS, installed with Helm: Route 53 record sets (`route53:` in its AWS tutorial's policy,
   * kubernetes-sigs/external-dns docs/tutorials/aws.md) and STS. Route 53's API has no interface endpoint
   * (aws-cdk-lib's `InterfaceVpcEndpointAwsService` has none), so it must go through the proxy.
   */
  public static readonly EXTERNAL_DNS = new AddonProfile(
    'external-dns',
    undefined,
    [EndpointService.STS],
    ['route53'],
    [],
  );

  /**
   * Karpenter, installed with Helm (`PrivateEksCluster`'s `karpenter` prop does it): the endpoints the
   * Karpenter docs list for private clusters ("Getting Started with Karpenter", "Private Clusters",
   * aws/karpenter-provider-aws v1.14.1): EC2 (instances, launch templates), ECR and S3 (images), STS (IRSA),
   * SSM (the AMI aliases' public parameters), SQS (the interruption queue) and EKS (DescribeCluster). Its
   * pricing lookups and IAM calls have no endpoint: they go through the proxy, or `isolatedVPC` turns them off.
   */
  public static readonly KARPENTER = new AddonProfile(
    'karpenter',
    undefined,
    [
      EndpointService.EC2,
      EndpointService.ECR_API,
      EndpointService.ECR_DKR,
      EndpointService.S3,
      EndpointService.STS,
      EndpointService.SSM,
      EndpointService.SQS,
      EndpointService.EKS,
    ],
    [],
    [],
  );

  /**
   * A profile of your own, for an add-on or controller this catalogue does not list.
   * @param name a name for errors and messages
   * @param services the AWS services it calls that have a VPC endpoint
   * @param proxyOnlyServices services it calls that have no VPC endpoint (they must go through the proxy)
   * @param addonName the EKS add-on name, when it is an EKS managed add-on
   */
  public static custom(
    name: string,
    services: EndpointService[],
    proxyOnlyServices: string[] = [],
    addonName?: string,
  ): AddonProfile {
    return new AddonProfile(name, addonName, services, proxyOnlyServices, []);
  }

  /** A name for errors and messages. */
  public readonly name: string;

  /** The EKS add-on name; undefined for a controller installed with Helm. */
  public readonly addonName?: string;

  /** The AWS services it calls that have a VPC endpoint. */
  public readonly services: EndpointService[];

  /** Services it calls that have no VPC endpoint: they must go through the proxy. */
  public readonly proxyOnlyServices: string[];

  /** @internal the objects patched to read the proxy when one of the services goes through it */
  public readonly _workloads: DaemonSetTarget[];

  private constructor(
    name: string,
    addonName: string | undefined,
    services: EndpointService[],
    proxyOnlyServices: string[],
    workloads: DaemonSetTarget[],
  ) {
    this.name = name;
    this.addonName = addonName;
    this.services = services;
    this.proxyOnlyServices = proxyOnlyServices;
    this._workloads = workloads;
  }
}
