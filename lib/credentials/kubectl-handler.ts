import { rootCertificates } from 'tls';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { caBundleEnvironment, combinedBundle, LAMBDA_CA_BUNDLE_PATH } from '../private/ca-bundle';
import { credentialsLayerDir, CREDENTIALS_WRAPPER_PATH, stageData } from './assets';
import { grantReadCredentials, ProxyCredentials } from './proxy-credentials';

/** The kubectl handler's variable that carries `ProxyCredentials.revision`. */
export const PROXY_REVISION_VARIABLE = 'CDK_PRIVATE_EKS_PROXY_REVISION';

/**
 * Where a function finds the credentials' secret: the variables the exec wrapper and the Secret writer read.
 */
export function credentialsEnvironment(credentials: ProxyCredentials): Record<string, string> {
  return {
    CDK_PRIVATE_EKS_PROXY_SECRET_ARN: credentials.secret.secretArn,
    CDK_PRIVATE_EKS_PROXY_USERNAME_KEY: credentials.usernameKey,
    CDK_PRIVATE_EKS_PROXY_PASSWORD_KEY: credentials.passwordKey,
  };
}

/**
 * The kubectl handler reads the credentials at cold start through an exec wrapper in a layer; its
 * configured environment keeps only the proxy URLs without credentials and the secret's ARN.
 *
 * @param scope where the layer is created
 * @param handler the kubectl handler function of aws-eks-v2
 * @param credentials the proxy credentials
 */
export function readCredentialsInKubectlHandler(
  scope: Construct,
  handler: lambda.Function,
  credentials: ProxyCredentials,
): void {
  handler.addLayers(
    new lambda.LayerVersion(scope, 'ProxyCredentialsLayer', {
      // Byte code a local test run may have left must not change the asset.
      code: lambda.Code.fromAsset(credentialsLayerDir(), { exclude: ['__pycache__', '*.pyc'] }),
      description: 'cdk-private-eks: exec wrapper that adds the proxy credentials from Secrets Manager',
    }),
  );
  handler.addEnvironment('AWS_LAMBDA_EXEC_WRAPPER', CREDENTIALS_WRAPPER_PATH);
  for (const [name, value] of Object.entries(credentialsEnvironment(credentials))) {
    handler.addEnvironment(name, value);
  }
  // Nothing reads it. A new revision changes the function's configuration; Lambda then provisions the
  // function anew and, once the update is complete, processes events with the new configuration (Lambda
  // API reference, UpdateFunctionConfiguration), i.e. in execution environments started with the new
  // variables, whose cold start reads the rotated secret. A warm environment would keep the old password.
  if (credentials.revision !== undefined) {
    handler.addEnvironment(PROXY_REVISION_VARIABLE, credentials.revision);
  }
  grantReadCredentials(credentials, handler);
}

/**
 * The kubectl handler (Python), the kubectl and helm it runs (Go) and the AWS CLI in its layer trust the
 * proxy's CA: a layer holds one PEM file with the public roots (Mozilla's, as shipped in the Node.js that
 * synthesizes the app: `tls.rootCertificates`) followed by the CA bundle, and the handler's environment
 * points each client family at it (`caBundleEnvironment`). Connections that bypass the proxy (NO_PROXY, VPC
 * endpoints) validate against the same public roots.
 *
 * @param scope where the layer is created
 * @param handler the kubectl handler function of aws-eks-v2
 * @param caBundle the canonical PEM of `ProxySettings.caBundle`
 */
export function trustCaBundleInKubectlHandler(scope: Construct, handler: lambda.Function, caBundle: string): void {
  const relative = LAMBDA_CA_BUNDLE_PATH.replace(/^\/opt\//, '');
  const dir = stageData('ca-layer', [
    { to: relative, mode: 0o644, data: Buffer.from(combinedBundle(rootCertificates, caBundle), 'utf8') },
  ]);
  handler.addLayers(
    new lambda.LayerVersion(scope, 'ProxyCaBundleLayer', {
      code: lambda.Code.fromAsset(dir),
      description: "cdk-private-eks: the public roots and the TLS-inspecting proxy's CA bundle",
    }),
  );
  for (const [name, value] of Object.entries(caBundleEnvironment(LAMBDA_CA_BUNDLE_PATH))) {
    handler.addEnvironment(name, value);
  }
}
