import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeNag, managedPolicyFinding } from './nag';

/**
 * AWS Lambda limit on a function's environment variables: 4 KB for all of them together (Lambda developer
 * guide, "Lambda quotas", Function configuration, deployment, and execution). Counted here as the UTF-8
 * bytes of every name and value.
 */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4 * 1024;

/** The bytes of a function's variables as `LAMBDA_ENVIRONMENT_MAX_BYTES` counts them. */
export function lambdaEnvironmentBytes(variables: Record<string, string>): number {
  return Object.entries(variables).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

/** The execution role of a function in a VPC: AWS's managed policy for network interfaces and logs, acknowledged. */
export function vpcFunctionRole(scope: Construct, id: string): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(VPC_EXECUTION_POLICY)],
  });
  acknowledgeNag(
    role,
    managedPolicyFinding(VPC_EXECUTION_POLICY),
    'The AWS managed policy for Lambda functions in a VPC (network interfaces and logs), as AWS documents it for VPC-bound functions',
  );
  return role;
}

const VPC_EXECUTION_POLICY = 'service-role/AWSLambdaVPCAccessExecutionRole';
