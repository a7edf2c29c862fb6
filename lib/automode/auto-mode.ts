import { Annotations, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { NODE_CLASS_NAME, renderNodeClass, renderNodePools } from './manifests';
import { EndpointSet } from '../endpoints/endpoint-set';
import { checkRoutes } from '../preflight/route-rules';
import { acknowledgeNag, managedPolicyFinding } from '../private/nag';
import { invalid } from '../private/validation';
import { compactNoProxy, NODE_CLASS_NO_PROXY_LIMITS } from '../proxy/no-proxy-compact';
import { ProxySettings } from '../proxy/proxy-settings';

/** EKS Auto Mode for a `PrivateEksCluster`. */
export interface AutoModeOptions {
  /**
   * Built-in node pools to keep (`system`, `general-purpose`). They run on EKS's default NodeClass, which has
   * no proxy: behind a proxy their nodes cannot reach what the proxy serves.
   *
   * @default - none: only the pools on the cluster's NodeClass, which carries the proxy
   */
  readonly builtInNodePools?: string[];
}

/**
 * The managed policies of the Auto Mode node role (EKS user guide, awsdocs/amazon-eks-user-guide
 * `latest/ug/automode/cloudformation/compute_node_role.yaml`).
 */
export const AUTO_MODE_NODE_POLICIES = ['AmazonEKSWorkerNodeMinimalPolicy', 'AmazonEC2ContainerRegistryPullOnly'];

/** The access policy of the NodeClass role's access entry (EKS user guide, "Create node class access entry"). */
export const AUTO_MODE_NODE_ACCESS_POLICY = 'AmazonEKSAutoNodePolicy';

/**
 * The managed policies aws-eks-v2 attaches to the cluster role when Auto Mode is on, which EKS requires
 * (EKS user guide, "Cluster IAM role", Auto Mode: AmazonEKSComputePolicy, AmazonEKSBlockStoragePolicy,
 * AmazonEKSLoadBalancingPolicy, AmazonEKSNetworkingPolicy).
 */
export const AUTO_MODE_CLUSTER_POLICIES = [
  'AmazonEKSComputePolicy',
  'AmazonEKSBlockStoragePolicy',
  'AmazonEKSLoadBalancingPolicy',
  'AmazonEKSNetworkingPolicy',
];

/** Acknowledge cdk-nag's findings on the Auto Mode policies of the cluster role, with the reason. */
export function acknowledgeAutoModeClusterPolicies(cluster: eks.Cluster): void {
  for (const policy of AUTO_MODE_CLUSTER_POLICIES) {
    acknowledgeNag(
      cluster.role,
      managedPolicyFinding(policy),
      `${policy} is an AWS managed policy EKS requires on the cluster role for Auto Mode (EKS user guide, Cluster IAM role); aws-eks-v2 attaches it`,
    );
  }
}

/** What `AutoModeNodes` needs from the cluster. */
export interface AutoModeNodesProps {
  /** The cluster. */
  readonly cluster: eks.Cluster;
  /** The node subnets. */
  readonly subnets: ec2.SubnetSelection;
  /** The node role of the NodeClass. */
  readonly role: iam.IRole;
  /** The cluster's VPC endpoints. */
  readonly endpoints: EndpointSet;
  /**
   * The proxy the nodes use.
   * @default - none: the nodes reach AWS through the VPC endpoints only
   */
  readonly proxy?: ProxySettings;
  /** The cluster's composed NO_PROXY. */
  readonly noProxy: string[];
  /**
   * Create the role's access entry. Not when the role is also the compute config's node role (built-in pools
   * kept): EKS then creates the entry itself ("EKS automatically creates an Access Entry for the Node IAM Role
   * during cluster creation", Create a Node Class), and a principal has one entry only.
   */
  readonly accessEntry: boolean;
}

/** The Auto Mode node role: EC2 principal and the two managed policies EKS documents. */
export function autoModeNodeRole(scope: Construct, id: string): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    managedPolicies: AUTO_MODE_NODE_POLICIES.map((p) => iam.ManagedPolicy.fromAwsManagedPolicyName(p)),
  });
  for (const policy of AUTO_MODE_NODE_POLICIES) {
    acknowledgeNag(
      role,
      managedPolicyFinding(policy),
      `${policy} is an AWS managed policy EKS documents for the Auto Mode node role (EKS user guide, Auto Mode node IAM role)`,
    );
  }
  return role;
}

/** Why a proxy cannot be carried by a NodeClass, or undefined (the prop and the problem are for `invalid`). */
function proxyProblem(proxy: ProxySettings): { prop: string; problem: string; fix: string } | undefined {
  if (proxy.credentials) {
    return {
      prop: 'proxy.credentials',
      problem: 'are set, but an Auto Mode NodeClass has no place for proxy credentials',
      fix: 'Let Auto Mode nodes reach the proxy without credentials (for example allow the node subnets), or use node groups',
    };
  }
  if (!Token.isUnresolved(proxy.httpsProxy) && proxy.httpsProxy.length > 255) {
    return {
      prop: 'proxy.httpsProxy',
      problem: `is ${proxy.httpsProxy.length} characters, over the NodeClass limit of 255`,
      fix: 'Give a shorter proxy URL (an IP address or a shorter DNS name)',
    };
  }
  return undefined;
}

/**
 * The cluster's own NodeClass (the proxy, the node subnets, the cluster security group, the CA bundle), its
 * access entry, and two NodePools on it, applied through the cluster's kubectl provider, the pools after the
 * NodeClass (lib/automode/manifests.ts has the objects and their sources).
 */
export class AutoModeNodes extends Construct {
  /** The NodeClass manifest (NodePools of your own reference `NODE_CLASS_NAME` and depend on it). */
  public readonly nodeClass: eks.KubernetesManifest;

  /** The NodePools manifest. */
  public readonly nodePools: eks.KubernetesManifest;

  /** The NodeClass's name, for NodePools of your own (`nodeClassRef.name`). */
  public readonly nodeClassName: string = NODE_CLASS_NAME;

  constructor(scope: Construct, id: string, props: AutoModeNodesProps) {
    super(scope, id);
    const { cluster, proxy } = props;
    const problem = proxy && proxyProblem(proxy);
    if (problem) {
      invalid(this, problem.prop, problem.problem, problem.fix);
    }
    checkRoutes(this, 'autoModeNodes', { proxy: proxy !== undefined, credentials: false }, (service) =>
      props.endpoints.has(service),
    );
    Annotations.of(this).addWarningV2(
      'cdk-private-eks:auto-mode-endpoints',
      'The EKS user guide lists no VPC endpoints for Auto Mode nodes: the endpoints documented for the nodes of private clusters are ' +
        (proxy
          ? 'used where the EndpointSet has them, and every other AWS service the nodes call goes through the proxy'
          : 'required (EndpointPresets.nodes()); a service the nodes call beyond those would be unreachable without a proxy'),
    );
    let noProxy: string[] | undefined;
    if (proxy) {
      const compact = compactNoProxy(props.noProxy, { limits: NODE_CLASS_NO_PROXY_LIMITS });
      if (compact.problem) {
        invalid(
          this,
          'proxy.noProxy',
          `does not fit an Auto Mode NodeClass even compacted: ${compact.problem}`,
          'Use domains (.corp.example) instead of many hosts, merge CIDRs, or use node groups, which take any NO_PROXY',
        );
      }
      noProxy = compact.entries;
      if (proxy.httpProxy !== proxy.httpsProxy) {
        Annotations.of(this).addWarningV2(
          'cdk-private-eks:auto-mode-http-proxy',
          `Auto Mode nodes take only an HTTPS proxy (${proxy.httpsProxy}): the NodeClass has no HTTP proxy field, so plain HTTP requests of the nodes do not use ${proxy.httpProxy}`,
        );
      }
    }
    if (props.accessEntry) {
      new eks.AccessEntry(this, 'AccessEntry', {
        cluster,
        principal: props.role.roleArn,
        accessEntryType: eks.AccessEntryType.EC2,
        accessPolicies: [
          eks.AccessPolicy.fromAccessPolicyName(AUTO_MODE_NODE_ACCESS_POLICY, {
            accessScopeType: eks.AccessScopeType.CLUSTER,
          }),
        ],
      });
    }
    this.nodeClass = new eks.KubernetesManifest(this, 'NodeClass', {
      cluster,
      manifest: [
        renderNodeClass({
          roleName: props.role.roleName,
          subnetIds: cluster.vpc.selectSubnets(props.subnets).subnetIds,
          securityGroupIds: [cluster.clusterSecurityGroupId],
          httpsProxy: proxy?.httpsProxy,
          noProxy,
          caBundle: proxy?.caBundle,
        }),
      ],
    });
    this.nodePools = new eks.KubernetesManifest(this, 'NodePools', {
      cluster,
      manifest: renderNodePools(NODE_CLASS_NAME),
    });
    this.nodePools.node.addDependency(this.nodeClass);
  }
}
