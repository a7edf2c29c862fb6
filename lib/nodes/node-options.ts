import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NodeFamily } from './node-family';

/**
 * Options shared by managed (`ProxiedNodeGroup`) and self-managed (`SelfManagedNodeGroup`) nodes that
 * carry the cluster's proxy settings.
 */
export interface NodeOptions {
  /**
   * Instance types of the nodes (self-managed groups take exactly one).
   *
   * @default - t3.medium
   */
  readonly instanceTypes?: ec2.InstanceType[];

  /**
   * The operating system family of the nodes.
   *
   * @default NodeFamily.AMAZON_LINUX_2023
   */
  readonly family?: NodeFamily;

  /**
   * A custom or pinned AMI of `family`. The nodes then bootstrap without calling the EKS API: the user
   * data carries the API server endpoint, the cluster CA and the service CIDR, so they need no `eks`
   * endpoint and no DescribeCluster through the proxy.
   *
   * @default - the family's EKS-optimized AMI
   */
  readonly machineImage?: ec2.IMachineImage;

  /**
   * Minimum number of nodes.
   *
   * @default 1 (0 when maxSize is 0)
   */
  readonly minSize?: number;

  /**
   * Maximum number of nodes.
   *
   * A self-managed group needs room above the nodes it runs: its rolling update starts each replacement
   * before it stops the old node (`MinInstancesInService` is desiredSize, or minSize), so maxSize must
   * be larger than that.
   *
   * @default - the larger of minSize and desiredSize; for self-managed groups at least minSize + 1
   */
  readonly maxSize?: number;

  /**
   * Desired number of nodes.
   *
   * @default - minSize, or 2 (at most maxSize) when minSize is not set
   */
  readonly desiredSize?: number;

  /**
   * Kubernetes labels of the nodes.
   *
   * @default - none
   */
  readonly labels?: { [name: string]: string };

  /**
   * Kubernetes taints of the nodes.
   *
   * @default - none
   */
  readonly taints?: eks.TaintSpec[];

  /**
   * Subnets of the nodes.
   *
   * @default - the cluster VPC's private subnets (isolated ones when it has no private subnets with egress)
   */
  readonly subnets?: ec2.SubnetSelection;

  /**
   * IAM role of the nodes.
   *
   * @default - a role with the policies of the EKS user guide's node IAM role: AmazonEKSWorkerNodePolicy,
   * AmazonEKS_CNI_Policy and AmazonEC2ContainerRegistryPullOnly (plus AmazonSSMManagedInstanceCore with `sessionManager`)
   */
  readonly nodeRole?: iam.IRole;

  /**
   * Give the node role created here (not a given `nodeRole`) AmazonSSMManagedInstanceCore, so that the
   * nodes can be reached with Session Manager. It is off because every process on the node, and every pod
   * that can reach IMDS, can then use the Systems Manager agent's permissions (e.g. read SSM documents,
   * open message channels); prefer `kubectl debug node/...`. Session Manager without a proxy also needs
   * the ssm, ssmmessages and ec2messages endpoints (`EndpointPresets.sessionManager()`).
   *
   * @default false
   */
  readonly sessionManager?: boolean;

  /**
   * Size of the encrypted gp3 volume that holds containers and images, in GiB: the root volume on
   * Amazon Linux, the data volume (`/dev/xvdb`) on Bottlerocket, whose OS volume stays at its size.
   *
   * @default 20
   */
  readonly dataVolumeSize?: number;

  /**
   * IMDSv2 hop limit (the `HttpPutResponseHopLimit` of the launch template).
   *
   * 1 (the default, what EKS itself sets for AL2023 managed node groups) keeps pods without host
   * networking away from the instance metadata service: their requests cross one more hop and get no
   * token. A higher value (2) lets every such pod read the node role's credentials from IMDS, and with
   * them do what the node can do, including reading the proxy credentials' secret. Pods that need AWS
   * credentials should use EKS Pod Identity or IAM roles for service accounts instead; add-ons that read
   * their region or VPC id from IMDS (e.g. the AWS Load Balancer Controller) take them as settings.
   * Host-network pods (aws-node, kube-proxy, the Pod Identity agent) reach IMDS at 1.
   *
   * @default 1
   */
  readonly httpPutResponseHopLimit?: number;

  /**
   * Extra security groups for the nodes. The cluster security group is always kept.
   *
   * @default - only the cluster security group
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Tags of the node group.
   *
   * @default - none
   */
  readonly tags?: { [key: string]: string };
}
