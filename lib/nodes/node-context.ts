import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { EndpointSet } from '../endpoints/endpoint-set';
import { ClusterBootstrap, NodeProxy, RegistryMirrors } from './user-data/family';

/**
 * What node groups need from a private cluster, built once by the cluster
 * (`PrivateEksCluster.nodeContext`), as aws-eks-v2's node groups take an `ICluster`.
 */
export interface INodeContext {
  /** The EKS cluster the nodes join. */
  readonly cluster: eks.ICluster;

  /** The Kubernetes version of the cluster. */
  readonly version: eks.KubernetesVersion;

  /** The subnets nodes go in unless a node group names others. */
  readonly subnets: ec2.SubnetSelection;

  /** The VPC endpoints the cluster relies on: without a proxy, nodes reach AWS through them only. */
  readonly endpoints: EndpointSet;

  /**
   * The proxy, rendered for nodes (environment, NO_PROXY, where to read credentials).
   *
   * @default - no proxy: nodes reach AWS through the VPC endpoints only
   */
  readonly proxy?: NodeProxy;

  /**
   * What nodes need to join without calling the EKS API.
   *
   * @default - not known at synth time (a token service CIDR): nodes that need it cannot be added
   */
  readonly bootstrap?: ClusterBootstrap;

  /**
   * The registries nodes pull from the cluster's ECR pull through cache (Amazon Linux 2023 mirrors them).
   *
   * @default - no mirrors
   */
  readonly registryMirrors?: RegistryMirrors;

  /**
   * Let a node role pull through the cluster's image cache; nothing when the cluster has none.
   * @param grantee the node role
   */
  grantImageCache(grantee: iam.IGrantable): void;

  /**
   * Let a node role read the proxy credentials (and decrypt them with the secret's KMS key, if any);
   * nothing when the proxy needs no credentials.
   * @param grantee the node role
   */
  grantProxyCredentials(grantee: iam.IGrantable): void;
}
