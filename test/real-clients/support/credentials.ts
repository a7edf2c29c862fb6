/**
 * Proxy credentials in the sandbox: what the stub `aws` CLI answers for an example that keeps its
 * proxy credentials in Secrets Manager, and what the boothook must make of it.
 */
import { credentialsOf, Deployment, TEST_PROXY_PASSWORD, TEST_PROXY_USERINFO, TEST_PROXY_USERNAME } from './examples';
import { AwsStub, SandboxOptions } from './sandbox';

/** The SecretString the stub returns: `{"username":"svc-eks","password":"S3cr3t%Pa$$:word@"}` with the example's keys. */
export function testSecretString(d: Deployment): string {
  const c = credentialsOf(d);
  if (!c) {
    throw new Error(`${d.label}: no proxy credentials`);
  }
  return JSON.stringify({ [c.spec.usernameKey]: TEST_PROXY_USERNAME, [c.spec.passwordKey]: TEST_PROXY_PASSWORD });
}

/**
 * The one command line a node may run to read the secret: the AWS CLI's get-secret-value for the
 * secret's ARN (resolved from the template) in the region IMDS reports, printing only SecretString, with
 * the CLI's own connect and read timeouts.
 */
export function expectedAwsArgv(d: Deployment): string[] {
  const c = credentialsOf(d);
  if (!c) {
    throw new Error(`${d.label}: no proxy credentials`);
  }
  return [
    'secretsmanager',
    'get-secret-value',
    '--region',
    d.region,
    '--secret-id',
    c.secretArn,
    '--query',
    'SecretString',
    '--output',
    'text',
    // Bounded: the boothook runs before kubelet, and nothing else would stop a hanging call.
    '--cli-connect-timeout',
    '5',
    '--cli-read-timeout',
    '10',
  ];
}

/** The stub `aws` for a deployment: answers the expected command line with the test secret (or always fails). */
export function awsStubFor(d: Deployment, fail = false): AwsStub {
  return { expectArgv: expectedAwsArgv(d), stdout: testSecretString(d), fail };
}

/** Sandbox settings for a deployment: IMDS reports its region; with credentials, a stub `aws` answers. */
export function sandboxOptionsFor(d: Deployment): SandboxOptions {
  return { region: d.region, aws: credentialsOf(d) ? awsStubFor(d) : undefined };
}

/** Every form of the secret that must never show up where it does not belong. */
export const SECRET_FORMS: readonly string[] = [
  TEST_PROXY_PASSWORD,
  TEST_PROXY_USERINFO.split(':')[1],
  TEST_PROXY_USERINFO.split(':')[1].replace(/%/g, '%%'),
];
