import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledge a cdk-nag rule on a construct, with the reason, through aws-cdk-lib's own Validations API
 * (what cdk-nag 3 reads), so the library needs no dependency on cdk-nag.
 */
export function acknowledgeNag(scope: IConstruct | undefined, id: string, reason: string): void {
  if (scope) {
    Validations.of(scope).acknowledge({ id, reason });
  }
}

/** The granular cdk-nag finding id of an AWS managed policy attached to a role (AwsSolutions-IAM4). */
export function managedPolicyFinding(policyName: string): string {
  return `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policyName}]`;
}

/**
 * The AWS managed policies EKS documents for the node IAM role: the EKS user guide, "Amazon EKS node IAM
 * role" (https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html) lists
 * AmazonEKSWorkerNodePolicy, AmazonEC2ContainerRegistryPullOnly (kubelet pulls images; it replaces the
 * broader ...ReadOnly, which also lists and describes repositories and images) and AmazonEKS_CNI_Policy.
 */
export const NODE_ROLE_POLICIES = [
  'AmazonEKSWorkerNodePolicy',
  'AmazonEKS_CNI_Policy',
  'AmazonEC2ContainerRegistryPullOnly',
];

/** The AWS managed policy of the Systems Manager agent (Session Manager). */
export const SSM_AGENT_POLICY = 'AmazonSSMManagedInstanceCore';

/** Acknowledge cdk-nag's finding on the documented AWS managed node role policies. */
export function acknowledgeNodeRolePolicies(role: IConstruct, extra: string[] = []): void {
  for (const policy of [...NODE_ROLE_POLICIES, ...extra]) {
    acknowledgeNag(
      role,
      managedPolicyFinding(policy),
      `${policy} is an AWS managed policy EKS documents for nodes (EKS user guide, "Amazon EKS node IAM role")`,
    );
  }
}
