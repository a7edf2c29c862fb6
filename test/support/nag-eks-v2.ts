/**
 * cdk-nag's AwsSolutions EKS rules (EKS1: no public API endpoint, EKS2: control-plane logs) for aws-eks-v2
 * clusters. cdk-nag 3.0.2 recognises a cluster by `instanceof aws_eks.CfnCluster`; aws-eks-v2 creates the same
 * `AWS::EKS::Cluster` from its own generated class, so AwsSolutionsChecks never sees it. This pack applies the
 * two rules, with cdk-nag's own ids, texts and finding format (`LogExport::<type>`), to every
 * `AWS::EKS::Cluster` that the original rules cannot see; acknowledgements use the usual ids.
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import { CfnCluster as EksV1CfnCluster } from 'aws-cdk-lib/aws-eks';
import { NagMessageLevel, NagPack, NagRuleCompliance, NagRuleResult, NagRules } from 'cdk-nag';
import { IConstruct } from 'constructs';

/** The log types cdk-nag's EKSClusterControlPlaneLogs requires. */
const REQUIRED_LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'];

function isEksV2Cluster(node: CfnResource): boolean {
  return node.cfnResourceType === 'AWS::EKS::Cluster' && !(node instanceof EksV1CfnCluster);
}

/** EKS2 for aws-eks-v2: the missing control-plane log types, as `LogExport::<type>` findings. */
export const eksV2ControlPlaneLogs = Object.defineProperty(
  (node: CfnResource): NagRuleResult => {
    if (!isEksV2Cluster(node)) {
      return NagRuleCompliance.NOT_APPLICABLE;
    }
    const stack = Stack.of(node);
    const logging = stack.resolve((node as unknown as { logging?: unknown }).logging) as
      { clusterLogging?: { enabledTypes?: Array<{ type: unknown }> } } | undefined;
    const enabled = (stack.resolve(logging?.clusterLogging?.enabledTypes) ?? []) as Array<{ type: unknown }>;
    const on = new Set(enabled.map((e) => NagRules.resolveIfPrimitive(node, e.type)));
    const missing = REQUIRED_LOG_TYPES.filter((t) => !on.has(t));
    return missing.length > 0 ? missing.map((t) => `LogExport::${t}`) : NagRuleCompliance.COMPLIANT;
  },
  'name',
  { value: 'EKSClusterControlPlaneLogs' },
);

/** EKS1 for aws-eks-v2: the API server endpoint must not be public. */
export const eksV2NoEndpointPublicAccess = Object.defineProperty(
  (node: CfnResource): NagRuleResult => {
    if (!isEksV2Cluster(node)) {
      return NagRuleCompliance.NOT_APPLICABLE;
    }
    const config = Stack.of(node).resolve((node as unknown as { resourcesVpcConfig?: unknown }).resourcesVpcConfig) as
      { endpointPublicAccess?: unknown } | undefined;
    return NagRules.resolveIfPrimitive(node, config?.endpointPublicAccess) === false
      ? NagRuleCompliance.COMPLIANT
      : NagRuleCompliance.NON_COMPLIANT;
  },
  'name',
  { value: 'EKSClusterNoEndpointPublicAccess' },
);

/** AwsSolutions-EKS1 and -EKS2 for the clusters that cdk-nag's own pack does not recognise. */
export class AwsSolutionsEksV2Checks extends NagPack {
  public readonly name = 'AwsSolutionsEksV2';

  constructor(scope?: IConstruct) {
    super(scope);
    // The findings carry AwsSolutions' ids, so they are acknowledged exactly as cdk-nag's would be.
    this.packName = 'AwsSolutions';
  }

  protected checkResource(node: CfnResource): void {
    this.applyRule({
      ruleSuffixOverride: 'EKS1',
      info: "The EKS cluster's Kubernetes API server endpoint has public access enabled.",
      explanation:
        "A cluster's Kubernetes API server endpoint should not be publicly accessible from the Internet in order to avoid exposing private data and minimizing security risks. The API server endpoints should only be accessible from within a AWS Virtual Private Cloud (VPC).",
      level: NagMessageLevel.ERROR,
      rule: eksV2NoEndpointPublicAccess,
      node,
    });
    this.applyRule({
      ruleSuffixOverride: 'EKS2',
      info: "The EKS Cluster does not publish 'api', 'audit', 'authenticator, 'controllerManager', and 'scheduler' control plane logs.",
      explanation:
        'EKS control plane logging provides audit and diagnostic logs directly from the Amazon EKS control plane to CloudWatch Logs in your account. These logs make it easy for you to secure and run your clusters.',
      level: NagMessageLevel.ERROR,
      rule: eksV2ControlPlaneLogs,
      node,
    });
  }
}
