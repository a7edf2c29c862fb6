import * as path from 'path';
import { Stack, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { invalid } from '../errors';

/**
 * The Lambda layer with the exec wrapper that puts the credentials into the kubectl handler's proxy
 * URLs at cold start (`AWS_LAMBDA_EXEC_WRAPPER`).
 */
export const CREDENTIALS_LAYER_DIR = path.join(__dirname, 'credentials-layer');

/** Where the wrapper lands in a Lambda function (layers are extracted to /opt). */
export const CREDENTIALS_WRAPPER_PATH = '/opt/cdk-private-eks/proxy-credentials-wrapper';

/**
 * Options for `ProxyCredentials.fromSecret()`.
 */
export interface ProxyCredentialsOptions {
  /**
   * The JSON key of the user name in the secret.
   *
   * @default 'username'
   */
  readonly usernameKey?: string;

  /**
   * The JSON key of the password in the secret.
   *
   * @default 'password'
   */
  readonly passwordKey?: string;

  /**
   * Any text; change it after rotating the secret to rewrite the Kubernetes Secret and roll the
   * `aws-node` and `kube-proxy` pods on the next deployment (nodes read the secret at every boot, the
   * kubectl provider at every cold start).
   *
   * @default - none
   */
  readonly revision?: string;
}

/**
 * Proxy credentials kept in AWS Secrets Manager (a JSON secret with a user name and a password,
 * optionally encrypted with a customer KMS key). Their value never enters the template, the user
 * data, a Lambda environment variable or a ConfigMap: nodes and the kubectl provider read the secret
 * at run time, pods get it from a Kubernetes Secret created at deploy time.
 */
export class ProxyCredentials {
  /**
   * Credentials from a Secrets Manager secret.
   * @param secret the secret, e.g. `Secret.fromSecretCompleteArn(...)` or a `Secret` with a generated value
   * @param options the JSON keys of the user name and the password
   */
  public static fromSecret(secret: secretsmanager.ISecret, options: ProxyCredentialsOptions = {}): ProxyCredentials {
    const usernameKey = options.usernameKey ?? 'username';
    const passwordKey = options.passwordKey ?? 'password';
    for (const [prop, key] of [
      ['usernameKey', usernameKey],
      ['passwordKey', passwordKey],
    ]) {
      if (!Token.isUnresolved(key) && !/^[A-Za-z0-9_.-]+$/.test(key)) {
        invalid(
          'ProxyCredentials',
          prop,
          `'${key}' is not a simple JSON key`,
          'Use letters, digits, dot, dash or underscore',
        );
      }
    }
    return new ProxyCredentials(secret, usernameKey, passwordKey, options.revision);
  }

  /** The secret holding the credentials. */
  public readonly secret: secretsmanager.ISecret;

  /** The JSON key of the user name. */
  public readonly usernameKey: string;

  /** The JSON key of the password. */
  public readonly passwordKey: string;

  /** The revision that rewrites the Kubernetes Secret when it changes. */
  public readonly revision?: string;

  private constructor(secret: secretsmanager.ISecret, usernameKey: string, passwordKey: string, revision?: string) {
    this.secret = secret;
    this.usernameKey = usernameKey;
    this.passwordKey = passwordKey;
    this.revision = revision;
  }

  /**
   * Fail when the secret's value is written into this app's template in plain text
   * (`SecretValue.unsafePlainText`, a plain `secretObjectValue`): the credentials would then be
   * readable by anyone who can read the template or cdk.out.
   * @internal
   */
  public _checkNotPlainText(scope: IConstruct): void {
    if (!(this.secret instanceof secretsmanager.Secret)) {
      return;
    }
    const cfn = this.secret.node.defaultChild as secretsmanager.CfnSecret;
    if (cfn.secretString === undefined) {
      return;
    }
    const resolved = JSON.stringify(Stack.of(this.secret).resolve(cfn.secretString));
    // A dynamic reference or a parameter reference resolves at deploy time; anything else is literal text.
    const fromElsewhere = /\{\{resolve:|"Ref"|"Fn::ImportValue"|"Fn::GetAtt"/.test(resolved);
    if (!fromElsewhere) {
      invalid(
        scope,
        'proxy.credentials',
        `uses the secret ${this.secret.node.path}, whose value is written into the template in plain text`,
        'Create the secret with generateSecretString, import an existing one (Secret.fromSecretCompleteArn), or set its value outside CloudFormation',
      );
    }
  }
}
