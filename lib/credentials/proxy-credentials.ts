import { ArnFormat, Aws, Fn, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { invalid } from '../errors';
import { notAStringProblem } from '../private/validation';
import { ProxySecretReference } from './secret-reference';

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
   * Any text (or a token, such as a CloudFormation parameter); change it after rotating the secret. The
   * next deployment then reaches everything that holds the credentials: it rewrites the Kubernetes Secret
   * and rolls the `aws-node` and `kube-proxy` pods, replaces the nodes of every Amazon Linux node group
   * (their user data carries the revision in base64, so the launch template changes), and changes the
   * kubectl handler's configuration, so that Lambda starts new execution environments that read the
   * secret again.
   *
   * @default - none: a rotation reaches nodes only when they boot again, and the kubectl handler only at
   * its next cold start
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
      // The keys are written into the nodes' boothook and the Lambda wrapper's command: a token could hold anything.
      if (Token.isUnresolved(key)) {
        invalid(
          'ProxyCredentials',
          prop,
          'is a token (a parameter, an import or another deploy-time value), which the nodes cannot check before using it in a command',
          'Give the JSON key as a literal string, for example username',
        );
      }
      if (!/^[A-Za-z0-9_.-]+$/.test(key)) {
        invalid(
          'ProxyCredentials',
          prop,
          `'${key}' is not a simple JSON key`,
          'Use letters, digits, dot, dash or underscore',
        );
      }
    }
    if (usernameKey === passwordKey) {
      invalid(
        'ProxyCredentials',
        'passwordKey',
        `is the same JSON key as usernameKey ('${usernameKey}'), so the password would be the user name`,
        'Use two keys, for example username and password',
      );
    }
    const revisionProblem = options.revision === undefined ? undefined : notAStringProblem(options.revision);
    if (revisionProblem) {
      invalid('ProxyCredentials', 'revision', revisionProblem, 'Give any text, for example the date of the rotation');
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
}

/** Where nodes, the kubectl handler and the Secret writer read the credentials. */
export function secretReferenceOf(credentials: ProxyCredentials): ProxySecretReference {
  return {
    secretArn: credentials.secret.secretArn,
    usernameKey: credentials.usernameKey,
    passwordKey: credentials.passwordKey,
    revisionBase64: revisionBase64(credentials.revision),
  };
}

/**
 * The revision as base64, safe on a shell comment line whatever it holds: computed now for a concrete
 * revision, by CloudFormation (`Fn::Base64`) for a token (a parameter, an import), whose value is never
 * pasted into the user data as text.
 */
function revisionBase64(revision: string | undefined): string | undefined {
  if (revision === undefined) {
    return undefined;
  }
  return Token.isUnresolved(revision) ? Fn.base64(revision) : Buffer.from(revision, 'utf8').toString('base64');
}

/**
 * Let a principal read the credentials' secret. `ISecret.grantRead` grants `kms:Decrypt` on a customer key
 * through the key policy, which it can only change for a key defined in this app: for an imported key
 * (`Key.fromKeyArn`) it grants nothing, and the reader then fails at run time. So for a key this app does
 * not own, the principal's own policy gets `kms:Decrypt` on that key, only through Secrets Manager
 * (`kms:ViaService`), as the key policy grant would; the key's policy must let IAM policies of the
 * account grant it (the default key policy does).
 */
export function grantReadCredentials(credentials: ProxyCredentials, grantee: iam.IGrantable): void {
  const secret = credentials.secret;
  secret.grantRead(grantee);
  const key = secret.encryptionKey;
  if (key && !(key instanceof kms.Key)) {
    // The Secrets Manager endpoint that decrypts is the secret's own region's (a token when the ARN is one).
    const region = Stack.of(secret).splitArn(secret.secretArn, ArnFormat.COLON_RESOURCE_NAME).region;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.${Aws.URL_SUFFIX}` } },
      }),
    );
  }
}

/**
 * Fail when the secret's value is written into this app's template in plain text
 * (`SecretValue.unsafePlainText`, a plain `secretObjectValue`): the credentials would then be
 * readable by anyone who can read the template or cdk.out.
 */
export function checkNotPlainText(scope: IConstruct, credentials: ProxyCredentials): void {
  const secret = credentials.secret;
  if (!(secret instanceof secretsmanager.Secret)) {
    return;
  }
  const cfn = secret.node.defaultChild as secretsmanager.CfnSecret;
  if (cfn.secretString === undefined) {
    return;
  }
  const resolved = JSON.stringify(Stack.of(secret).resolve(cfn.secretString));
  // A dynamic reference or a parameter reference resolves at deploy time; anything else is literal text.
  const fromElsewhere = /\{\{resolve:|"Ref"|"Fn::ImportValue"|"Fn::GetAtt"/.test(resolved);
  if (!fromElsewhere) {
    invalid(
      scope,
      'proxy.credentials',
      `uses the secret ${secret.node.path}, whose value is written into the template in plain text`,
      'Create the secret with generateSecretString, import an existing one (Secret.fromSecretCompleteArn), or set its value outside CloudFormation',
    );
  }
}
