import { CustomResource, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { accessEntryOf } from '../private/aws-eks-v2-internals';
import {
  acknowledgeNag,
  acknowledgeOwnInlinePolicy,
  CUSTOM_RESOURCE_CONCURRENCY_REASON,
  customResourceDlqReason,
  managedPolicyFinding,
  NIST_RULES,
} from '../private/nag';
import { secretWriterHandlerDir } from './assets';
import { grantReadCredentials, ProxyCredentials } from './proxy-credentials';

/** The name of the Kubernetes Secret with the proxy URLs including credentials. */
export const PROXY_CREDENTIALS_SECRET_NAME = 'proxy-environment-credentials';

/** Props of `ProxyCredentialsSecret`. */
export interface ProxyCredentialsSecretProps {
  readonly cluster: eks.Cluster;
  readonly credentials: ProxyCredentials;
  /** The proxy URLs without credentials. */
  readonly httpProxy: string;
  readonly httpsProxy: string;
  readonly namespace: string;
  readonly subnets: ec2.SubnetSelection;
}

/**
 * The Kubernetes Secret `proxy-environment-credentials` (HTTP_PROXY, HTTPS_PROXY, both cases, with the
 * credentials), written at deploy time by a small function in the private subnets that reads Secrets
 * Manager and calls the private API server. The value never enters the template: only the secret's ARN
 * does. The function may write Secrets in that one namespace only (a namespaced access entry).
 */
export class ProxyCredentialsSecret extends Construct {
  /** The custom resource; manifests and patches that need the Secret depend on it. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ProxyCredentialsSecretProps) {
    super(scope, id);
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole')],
    });
    acknowledgeNag(
      role,
      managedPolicyFinding('service-role/AWSLambdaVPCAccessExecutionRole'),
      'The AWS managed policy for Lambda functions in a VPC (network interfaces and logs), as AWS documents it for VPC-bound functions',
    );
    grantReadCredentials(props.credentials, role);
    acknowledgeOwnInlinePolicy(
      role,
      "The Secret writer's role may read the one proxy secret (and decrypt it through Secrets Manager)",
    );
    const fn = new lambda.Function(this, 'Handler', {
      description: 'cdk-private-eks: writes the proxy credentials Kubernetes Secret from Secrets Manager',
      runtime: lambda.Runtime.determineLatestPythonRuntime(this),
      handler: 'index.handler',
      // index.py and proxy_auth.py, staged from lib/credentials/python.
      code: lambda.Code.fromAsset(secretWriterHandlerDir(), { exclude: ['__pycache__', '*.pyc'] }),
      timeout: Duration.minutes(2),
      role,
      vpc: props.cluster.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [
        ec2.SecurityGroup.fromSecurityGroupId(this, 'ClusterSecurityGroup', props.cluster.clusterSecurityGroupId),
      ],
      environment: { AWS_STS_REGIONAL_ENDPOINTS: 'regional' },
    });
    acknowledgeNag(
      fn,
      'AwsSolutions-L1',
      'The runtime is the newest Python that aws-cdk-lib knows to be available in the region (Runtime.determineLatestPythonRuntime), as for the kubectl handler',
    );
    acknowledgeNag(fn, NIST_RULES.lambdaConcurrency, CUSTOM_RESOURCE_CONCURRENCY_REASON);
    acknowledgeNag(
      fn,
      NIST_RULES.lambdaDlq,
      customResourceDlqReason(
        'its handler catches every error and sends FAILED with the reason, lib/credentials/python/secret_writer.py',
      ),
    );
    props.cluster.grantAccess('ProxyCredentialsWriter', role.roleArn, [
      eks.AccessPolicy.fromAccessPolicyName('AmazonEKSEditPolicy', {
        accessScopeType: eks.AccessScopeType.NAMESPACE,
        namespaces: [props.namespace],
      }),
    ]);
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::CdkPrivateEksProxyCredentials',
      properties: {
        ClusterName: props.cluster.clusterName,
        Endpoint: props.cluster.clusterEndpoint,
        CertificateAuthority: props.cluster.clusterCertificateAuthorityData,
        SecretArn: props.credentials.secret.secretArn,
        UsernameKey: props.credentials.usernameKey,
        PasswordKey: props.credentials.passwordKey,
        HttpProxy: props.httpProxy,
        HttpsProxy: props.httpsProxy,
        Namespace: props.namespace,
        Name: PROXY_CREDENTIALS_SECRET_NAME,
        Revision: props.credentials.revision ?? '',
      },
    });
    // The access entry must exist before the function calls the API server.
    const accessEntry = accessEntryOf(props.cluster, 'ProxyCredentialsWriter');
    if (accessEntry) {
      this.resource.node.addDependency(accessEntry);
    }
  }
}
