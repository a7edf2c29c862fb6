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
