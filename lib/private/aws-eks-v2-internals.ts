import { Annotations, CfnCondition, CfnElement, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import {
  acknowledgeNag,
  acknowledgeOwnInlinePolicy,
  CUSTOM_RESOURCE_CONCURRENCY_REASON,
  customResourceDlqReason,
  managedPolicyFinding,
  NIST_RULES,
} from './nag';

/**
 * Everything this library knows about the inside of an aws-eks-v2 cluster: the construct ids of its
 * children (found by name, since aws-eks-v2 exposes no handle for them) and the cdk-nag findings on
 * the resources it creates. The one place to look at after an aws-cdk-lib upgrade;
 * test/aws-eks-v2-internals.test.ts fails with a clear message when one of them moves.
 */

/**
 * The warning aws-eks-v2 adds to a cluster whose kubectl provider runs in isolated subnets, asking for the
 * VPC endpoints of the EKS private-cluster guide (aws-cdk-lib 2.276, aws-eks-v2/lib/cluster.ts).
 */
export const ISOLATED_SUBNETS_WARNING = '@aws-cdk/aws-eks:isolatedSubnetsForKubectlPrivateSubnets';

/**
 * Acknowledge aws-eks-v2's isolated-subnets warning. Call it only once the route rules have proven that the
 * kubectl provider reaches what it calls (through VPC endpoints or the proxy): then the warning asks for
 * something already checked, and a first synth would print it to every user for nothing.
 */
export function acknowledgeCheckedKubectlRoutes(cluster: eks.Cluster): void {
  Annotations.of(cluster).acknowledgeWarning(
    ISOLATED_SUBNETS_WARNING,
    'cdk-private-eks checked at synth time that the kubectl provider reaches EKS, STS, Lambda and S3 through VPC endpoints or the proxy',
  );
}

/** Construct ids inside `eks.Cluster` (aws-cdk-lib 2.276, aws-eks-v2/lib/cluster.ts and kubectl-provider.ts). */
const IDS = {
  provider: 'KubectlProvider',
  handler: 'Handler',
  ecrPublicCondition: 'HasEcrPublic',
  // The provider framework (aws-cdk-lib custom-resources Provider) and its entry function.
  framework: 'Provider',
  onEvent: 'framework-onEvent',
} as const;

/** The kubectl provider's construct and its Python handler function, where aws-eks-v2 puts them. */
export interface KubectlInternals {
  readonly provider?: IConstruct;
  readonly handler?: lambda.Function;
  /** The condition on the ECR Public policy of the handler's role (aws partition only). */
  readonly ecrPublicCondition?: CfnCondition;
  /** The provider framework's function that CloudFormation invokes; it invokes the handler. */
  readonly onEvent?: lambda.Function;
}

/** Find the kubectl provider's internals of a cluster; what is missing is undefined. */
export function kubectlInternals(cluster: eks.Cluster): KubectlInternals {
  const provider = cluster.node.tryFindChild(IDS.provider);
  const handler = provider?.node.tryFindChild(IDS.handler);
  const condition = handler?.node.tryFindChild(IDS.ecrPublicCondition);
  const onEvent = provider?.node.tryFindChild(IDS.framework)?.node.tryFindChild(IDS.onEvent);
  return {
    provider,
    handler: handler instanceof lambda.Function ? handler : undefined,
    ecrPublicCondition: condition instanceof CfnCondition ? condition : undefined,
    onEvent: onEvent instanceof lambda.Function ? onEvent : undefined,
  };
}

/** What this library expects of aws-eks-v2 and does not find on a cluster with a kubectl provider, as sentences. */
export function missingInternals(cluster: eks.Cluster): string[] {
  const found = kubectlInternals(cluster);
  return [
    ...(found.provider ? [] : [`no child '${IDS.provider}' under the cluster`]),
    ...(found.handler ? [] : [`no lambda.Function '${IDS.provider}/${IDS.handler}' (the kubectl handler)`]),
    ...(found.onEvent
      ? []
      : [`no lambda.Function '${IDS.provider}/${IDS.framework}/${IDS.onEvent}' (the provider framework's function)`]),
  ];
}

/** The kubectl handler function, or a clear error naming the aws-cdk-lib version as the cause. */
export function kubectlHandler(cluster: eks.Cluster): lambda.Function {
  const handler = kubectlInternals(cluster).handler;
  if (!handler) {
    throw new Error(
      'cdk-private-eks: the aws-eks-v2 kubectl handler was not found; this aws-cdk-lib version is not supported',
    );
  }
  return handler;
}

/**
 * An access entry (the CloudFormation resource, which can set `kubernetesGroups`) at the construct path,
 * and so with the logical id, of the one `cluster.grantAccess(id, ...)` creates: aws-eks-v2 puts an
 * `AccessEntry` construct `id` under the cluster, whose `CfnAccessEntry` is `Resource` (aws-cdk-lib 2.276,
 * aws-eks-v2/lib/cluster.ts addToAccessEntry and access-entry.ts). A stack that had the aws-eks-v2 entry
 * then updates it in place instead of replacing it.
 */
export function accessEntryAtGrantAccessPath(
  cluster: eks.ICluster,
  id: string,
  props: eks.CfnAccessEntryProps,
): eks.CfnAccessEntry {
  return new eks.CfnAccessEntry(new Construct(cluster, id), 'Resource', props);
}

/** cdk-nag AwsSolutions and NIST 800-53 R5 findings on resources aws-eks-v2 creates for us, each with its reason. */
export function acknowledgeAwsEksV2Findings(cluster: eks.Cluster): void {
  acknowledgeNag(
    cluster.role,
    managedPolicyFinding('AmazonEKSClusterPolicy'),
    'EKS requires the AWS managed AmazonEKSClusterPolicy on the cluster role (EKS user guide, "Amazon EKS cluster IAM role")',
  );
  const { provider, handler, ecrPublicCondition, onEvent } = kubectlInternals(cluster);
  const providerPolicies = [
    'service-role/AWSLambdaBasicExecutionRole',
    'service-role/AWSLambdaVPCAccessExecutionRole',
    'AmazonEC2ContainerRegistryReadOnly',
  ];
  for (const policy of providerPolicies) {
    acknowledgeNag(
      provider,
      managedPolicyFinding(policy),
      `aws-eks-v2 attaches the AWS managed ${policy} to the roles of its kubectl provider; it is not configurable`,
    );
  }
  const stack = Stack.of(cluster);
  if (ecrPublicCondition) {
    acknowledgeNag(
      provider,
      `AwsSolutions-IAM4[Policy::{"Fn::If":["${stack.getLogicalId(ecrPublicCondition)}",{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]`,
      'aws-eks-v2 attaches the AWS managed ECR Public read-only policy to its kubectl handler in the aws partition; it is not configurable',
    );
  }
  if (handler) {
    acknowledgeNag(
      provider,
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(handler.node.defaultChild as CfnElement)}.Arn>:*]`,
      'The custom-resource provider framework of aws-cdk-lib invokes any version of its own kubectl handler function (Arn:*)',
    );
  }
  acknowledgeNag(
    provider,
    'AwsSolutions-L1',
    'aws-eks-v2 picks the kubectl handler runtime (the newest Python this aws-cdk-lib version knows)',
  );
  acknowledgeKubectlProviderNist(handler, onEvent);
}

/**
 * NIST 800-53 R5 findings on the kubectl provider's two functions and their roles, each acknowledged on the
 * function it is about (its role is a child of it). aws-eks-v2 offers no option for any of them.
 */
function acknowledgeKubectlProviderNist(handler?: lambda.Function, onEvent?: lambda.Function): void {
  for (const fn of [handler, onEvent]) {
    acknowledgeOwnInlinePolicy(
      fn,
      'aws-eks-v2 grants its kubectl provider function what it calls (the cluster, the proxy secret, the handler) through the default policy of the role it creates for that function alone',
    );
    acknowledgeNag(fn, NIST_RULES.lambdaConcurrency, CUSTOM_RESOURCE_CONCURRENCY_REASON);
  }
  acknowledgeNag(
    handler,
    NIST_RULES.lambdaDlq,
    'The kubectl handler is invoked synchronously, by the provider framework function only (aws-cdk-lib custom-resources provider-framework runtime: lambda.invoke with the default RequestResponse type), and returns its error to it; a dead-letter queue is for failed asynchronous invocations only (Lambda API reference, "DeadLetterConfig")',
  );
  acknowledgeNag(
    onEvent,
    NIST_RULES.lambdaDlq,
    customResourceDlqReason(
      "aws-cdk-lib's provider framework catches the handler's errors and sends FAILED with the reason, custom-resources provider-framework runtime cfn-response safeHandler",
    ),
  );
}

/**
 * aws-eks-v2's managed node group checks a given `amiType` against its own list of GPU instance classes
 * (aws-cdk-lib 2.276, aws-eks-v2/lib/private/nodegroup.ts `isGpuInstanceType`: p*, g*, inf1, inf2), which
 * lacks Trainium: it refuses AL2023_x86_64_NEURON for trn* instances. For those the AMI type is set on the
 * CloudFormation resource instead (aws-eks-v2 leaves it unset when a launch template is given).
 */
export function awsEksV2RefusesAmiType(instanceTypes: ReadonlyArray<{ toString(): string }>): boolean {
  return instanceTypes.some((t) => /^trn\d/i.test(t.toString()));
}

/** Set the AMI type on a managed node group's CloudFormation resource (see `awsEksV2RefusesAmiType`). */
export function setNodegroupAmiType(nodegroup: eks.Nodegroup, amiType: string): void {
  (nodegroup.node.defaultChild as eks.CfnNodegroup).amiType = amiType;
}
