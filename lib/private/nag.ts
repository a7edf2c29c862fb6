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

/** The rule ids of cdk-nag's NIST 800-53 rev. 5 pack (`NIST80053R5Checks`) that the library acknowledges. */
export const NIST_RULES = {
  inlinePolicy: 'NIST.800.53.R5-IAMNoInlinePolicy',
  lambdaConcurrency: 'NIST.800.53.R5-LambdaConcurrency',
  lambdaDlq: 'NIST.800.53.R5-LambdaDLQ',
  elbLogging: 'NIST.800.53.R5-ELBLoggingEnabled',
  elbCertificate: 'NIST.800.53.R5-ELBv2ACMCertificateRequired',
} as const;

/**
 * Acknowledge NIST.800.53.R5-IAMNoInlinePolicy on a role the library creates for one purpose (and on its
 * `DefaultPolicy`, where CDK grants put their statements). The IAM user guide ("Managed policies and inline
 * policies", "Choosing between managed policies and inline policies") gives inline policies for a strict
 * one-to-one relationship between a policy and one identity: the statements name this app's resources
 * for this role and must not be attachable to anything else, which a customer managed policy would be.
 */
export function acknowledgeOwnInlinePolicy(role: IConstruct | undefined, purpose: string): void {
  acknowledgeNag(
    role,
    NIST_RULES.inlinePolicy,
    `${purpose}. An inline policy keeps it one-to-one with this role, which exists for nothing else; a customer managed policy could be attached to other identities (IAM user guide, "Choosing between managed policies and inline policies")`,
  );
}

/**
 * Why a custom-resource function gets no reserved concurrency (NIST.800.53.R5-LambdaConcurrency): it runs
 * only while CloudFormation deploys, once per event, and reserved concurrency is taken out of the account's
 * unreserved pool, of which Lambda keeps 100 for the other functions (Lambda developer guide, "Configuring
 * reserved concurrency for a function"): in an account with a low concurrency quota it fails the deploy.
 */
export const CUSTOM_RESOURCE_CONCURRENCY_REASON =
  'A custom-resource function runs only while CloudFormation deploys, once per event; reserved concurrency would be taken from the account\'s unreserved pool, of which Lambda must keep 100 for other functions (Lambda developer guide, "Configuring reserved concurrency for a function"), so it fails deploys in accounts with a low concurrency quota and limits nothing that can run away';

/**
 * Why a function that CloudFormation invokes as a custom resource has no dead-letter queue
 * (NIST.800.53.R5-LambdaDLQ). CloudFormation invokes it asynchronously (Lambda developer guide, "Using AWS
 * Lambda with CloudFormation"); the function reports every failure to CloudFormation itself, so the failure
 * is in the stack events and the function's log, and an event parked in a queue after Lambda's retries could
 * no longer answer the stack operation that waited for it.
 */
export function customResourceDlqReason(reportsFailures: string): string {
  return `CloudFormation invokes this custom-resource function asynchronously (Lambda developer guide, "Using AWS Lambda with CloudFormation") and it reports every failure to CloudFormation itself (${reportsFailures}): the failure shows in the stack events and the function's log, and an event parked in a dead-letter queue could no longer answer the stack operation that waited for it`;
}

/**
 * A resolved ARN as cdk-nag writes it in a granular finding id (`AwsSolutions-IAM5[Resource::...]`): the
 * parts of an `Fn::Join` in order, a `Ref` as `<Name>`, an `Fn::GetAtt` as `<Resource.Attribute>`, an
 * `Fn::Sub` as the JSON of its arguments.
 */
export function nagResourceText(resolved: unknown): string {
  if (typeof resolved === 'string') {
    return resolved;
  }
  const value = resolved as {
    Ref?: string;
    'Fn::GetAtt'?: string[];
    'Fn::Join'?: [string, unknown[]];
    'Fn::Sub'?: unknown;
  };
  if (value.Ref !== undefined) {
    return `<${value.Ref}>`;
  }
  if (value['Fn::GetAtt'] !== undefined) {
    return `<${value['Fn::GetAtt'].join('.')}>`;
  }
  if (value['Fn::Join'] !== undefined) {
    const [separator, parts] = value['Fn::Join'];
    return parts.map(nagResourceText).join(separator);
  }
  if (value['Fn::Sub'] !== undefined) {
    return JSON.stringify(value['Fn::Sub']);
  }
  return JSON.stringify(resolved);
}

/**
 * Acknowledge the findings every custom-resource function of the library has, with their reasons: the
 * runtime (AwsSolutions-L1), reserved concurrency and the dead-letter queue (NIST 800-53 R5).
 *
 * @param fn the function
 * @param reportsFailures how the function reports its failures to CloudFormation (for the DLQ reason)
 */
export function acknowledgeCustomResourceFunction(fn: IConstruct, reportsFailures: string): void {
  acknowledgeNag(
    fn,
    'AwsSolutions-L1',
    'The runtime is the newest Python that aws-cdk-lib knows to be available in the region (Runtime.determineLatestPythonRuntime), as for the kubectl handler',
  );
  acknowledgeNag(fn, NIST_RULES.lambdaConcurrency, CUSTOM_RESOURCE_CONCURRENCY_REASON);
  acknowledgeNag(fn, NIST_RULES.lambdaDlq, customResourceDlqReason(reportsFailures));
}
