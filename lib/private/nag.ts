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
