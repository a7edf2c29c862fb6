/** A PrivateEksCluster behind an authenticating proxy whose secret is imported: what the credentials tests start from. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { EndpointPresets, PrivateEksCluster, ProxyCredentials, ProxySettings } from '../../lib';
import { fakeKubectlLayer, isolatedVpc, testStack } from './cdk';

/** The imported secret's ARN. */
export const TEST_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:corp/proxy-AbCdEf';

export interface CredentialedClusterOptions {
  /** `ProxyCredentials` revision, or a function that makes one (a token) in the stack. */
  readonly revision?: string | ((stack: Stack) => string);
  readonly version?: eks.KubernetesVersion;
}

/** A us-east-1 stack with the cluster, the proxy `http://proxy.corp.example:3128` and its credentials. */
export function credentialedCluster(options: CredentialedClusterOptions = {}) {
  const stack = testStack('us-east-1');
  const revision = typeof options.revision === 'function' ? options.revision(stack) : options.revision;
  const cluster = new PrivateEksCluster(stack, 'Cluster', {
    vpc: isolatedVpc(stack),
    version: options.version ?? eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', {
      credentials: ProxyCredentials.fromSecret(
        secretsmanager.Secret.fromSecretCompleteArn(stack, 'ProxySecret', TEST_SECRET_ARN),
        { revision },
      ),
    }),
    endpointServices: EndpointPresets.withProxyCredentials(),
  });
  return { stack, cluster };
}

/** `openssl req -x509`: a self-signed RSA 2048 certificate and its key, written as DIR/cert.pem and DIR/key.pem. */
export function selfSignedCertificate(dir: string, subject: string, days: number, extensions: string[]): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      String(days),
      '-subj',
      subject,
      ...extensions.flatMap((e) => ['-addext', e]),
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
}

/**
 * Stand-ins for boto3 and botocore in `dir` (put it first on the handler's `sys.path`): `boto3.client
 * ('secretsmanager', config=...)` returns `{username, password}` for `secretArn` only, and asserts that the
 * client is configured with short timeouts and few attempts (botocore's defaults would outlast a custom
 * resource's answer); `botocore.config.Config` keeps its keywords. `prelude`: lines put first in boto3's
 * `__init__.py` (e.g. `from . import session` for a stand-in session module written by the caller).
 */
export function writeSecretsManagerStubs(
  dir: string,
  secretArn: string,
  username: string,
  password: string,
  prelude: string[] = [],
): void {
  fs.mkdirSync(path.join(dir, 'boto3'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'botocore'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'boto3', '__init__.py'),
    [
      'import json',
      ...prelude,
      'class _SecretsManager:',
      '    def get_secret_value(self, SecretId):',
      `        assert SecretId == ${JSON.stringify(secretArn)}, "not the configured secret"`,
      `        return {"SecretString": json.dumps({"username": ${JSON.stringify(username)}, "password": ${JSON.stringify(password)}})}`,
      'def client(name, config=None):',
      '    assert name == "secretsmanager"',
      '    assert config.kw["connect_timeout"] <= 5 and config.kw["read_timeout"] <= 10, config.kw',
      '    assert config.kw["retries"]["max_attempts"] <= 3, config.kw',
      '    return _SecretsManager()',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'botocore', '__init__.py'), '');
  fs.writeFileSync(
    path.join(dir, 'botocore', 'config.py'),
    ['class Config:', '    def __init__(self, **kw):', '        self.kw = kw'].join('\n'),
  );
}
