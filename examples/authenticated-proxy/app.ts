/**
 * An authenticating corporate proxy (seed 002 keeps such credentials envelope-encrypted with KMS):
 * the user name and password live in AWS Secrets Manager, encrypted with a customer KMS key, and never
 * appear in the template, the node user data, a Lambda environment variable or a ConfigMap.
 *
 * - nodes read the secret at every boot through the Secrets Manager endpoint (their role may read
 *   that one secret only) and write it to root-only files;
 * - the kubectl provider reads it at cold start through an exec wrapper;
 * - pods (aws-node, kube-proxy) get it from a Kubernetes Secret written at deploy time.
 *
 * Env-agnostic: synthesizes without AWS credentials.
 */
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { EndpointPresets, PrivateEksCluster, ProxyCredentials, ProxySettings } from '../../lib';
import { isolatedExampleVpc } from '../vpc';

export class AuthenticatedProxyStack extends Stack {
  public readonly cluster: PrivateEksCluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);

    const vpc = isolatedExampleVpc(this);

    // The proxy team puts the real password in after deployment (or rotates it); CloudFormation only
    // ever sees a generated placeholder, never a value written in this file.
    const key = new kms.Key(this, 'ProxyCredentialsKey', { enableKeyRotation: true, description: 'Proxy credentials' });
    const secret = new secretsmanager.Secret(this, 'ProxyCredentials', {
      description: 'User name and password of the corporate proxy',
      encryptionKey: key,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'svc-eks' }),
        generateStringKey: 'password',
      },
    });
    // No Secrets Manager rotation function: the password lives in the proxy's own user directory, which no
    // function of this app can change (cdk-nag AwsSolutions-SMG4, NIST.800.53.R5-SecretsManagerRotationEnabled).
    for (const id of ['AwsSolutions-SMG4', 'NIST.800.53.R5-SecretsManagerRotationEnabled']) {
      Validations.of(secret).acknowledge({
        id,
        reason:
          'The proxy team rotates the password in the proxy and in this secret together, then deploys with a new ProxyCredentials revision, which rolls the pods and the nodes and restarts the kubectl handler',
      });
    }

    // After a rotation, a new revision reaches everything that holds the password: the Kubernetes Secret
    // is written again and aws-node/kube-proxy roll, the node groups replace their nodes, the kubectl
    // handler starts anew.
    const credentials = ProxyCredentials.fromSecret(secret, { revision: '2026-12-01' });
    this.cluster = new PrivateEksCluster(this, 'Cluster', {
      vpc,
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: new KubectlV35Layer(this, 'Kubectl'),
      proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', {
        noProxy: ['.corp.example'],
        credentials,
      }),
      // Secrets Manager is reached without the proxy: the credentials are needed to use it. No KMS
      // endpoint, although the secret has a customer key: Secrets Manager decrypts for its caller.
      endpointServices: EndpointPresets.withProxyCredentials(credentials),
    });
    this.cluster.addProxiedNodeGroup('Workers', { instanceTypes: [new ec2.InstanceType('m7i.large')], minSize: 2 });
  }
}

if (require.main === module) {
  const app = new App();
  new AuthenticatedProxyStack(app, 'PrivateEksAuthenticatedProxyExample');
  app.synth();
}
