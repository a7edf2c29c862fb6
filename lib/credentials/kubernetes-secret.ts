import { CustomResource, Duration, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { invalid } from '../errors';
import { accessEntryAtGrantAccessPath } from '../private/aws-eks-v2-internals';
import { LAMBDA_ENVIRONMENT_MAX_BYTES, lambdaEnvironmentBytes, vpcFunctionRole } from '../private/lambda';
import { acknowledgeCustomResourceFunction, acknowledgeOwnInlinePolicy } from '../private/nag';
import { secretWriterHandlerDir } from './assets';
import { credentialsEnvironment } from './kubectl-handler';
import { grantReadCredentials, ProxyCredentials } from './proxy-credentials';
import { writerGroup, writerRbacObjects } from './writer-rbac';

/** The name of the Kubernetes Secret with the proxy URLs including credentials. */
export const PROXY_CREDENTIALS_SECRET_NAME = 'proxy-environment-credentials';

/**
 * The function's configuration, all the handler reads besides the request's own fields: where the API
 * server is and how to trust it, where the credentials are, and what to write. The proxy URLs are not
 * named HTTP(S)_PROXY, which Python and boto3 would use for their own calls.
 */
export const WRITER_VARIABLES = {
  clusterName: 'CDK_PRIVATE_EKS_CLUSTER_NAME',
  endpoint: 'CDK_PRIVATE_EKS_CLUSTER_ENDPOINT',
  certificateAuthority: 'CDK_PRIVATE_EKS_CLUSTER_CA',
  httpProxy: 'CDK_PRIVATE_EKS_SECRET_HTTP_PROXY',
  httpsProxy: 'CDK_PRIVATE_EKS_SECRET_HTTPS_PROXY',
  namespace: 'CDK_PRIVATE_EKS_SECRET_NAMESPACE',
  secretName: 'CDK_PRIVATE_EKS_SECRET_NAME',
} as const;

/**
 * Bytes counted at synth time for a value that CloudFormation fills in at deploy time. The cluster CA is
 * EKS's self-signed RSA 2048 certificate, PEM then base64: about 1.5 KB (test/credentials/secret-writer
 * measures one made the same way); an EKS cluster name is at most 100 characters (EKS API reference,
 * CreateCluster); the endpoint is `https://<32 hex>.<zone>.<region>.eks.amazonaws.com[.cn]`, under 128.
 * Any other deploy-time value (an imported secret ARN, a proxy host) is counted at 512.
 */
export const DEPLOY_TIME_VALUE_BYTES: Readonly<Record<string, number>> = {
  [WRITER_VARIABLES.certificateAuthority]: 2048,
  [WRITER_VARIABLES.clusterName]: 100,
  [WRITER_VARIABLES.endpoint]: 128,
};
const OTHER_DEPLOY_TIME_VALUE_BYTES = 512;

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
 * does.
 *
 * Least privilege: the function's role has an EKS access entry with no access policy, only a Kubernetes
 * group of our own, bound by a namespaced Role to what the handler does on that one Secret. The function
 * takes everything from its own configuration (the endpoint and CA of this cluster included), nothing
 * from the event, so whoever may invoke it cannot send its token or the credentials elsewhere.
 */
export class ProxyCredentialsSecret extends Construct {
  /** The custom resource; manifests and patches that need the Secret depend on it. */
  public readonly resource: CustomResource;

  /** The function's configuration (see `WRITER_VARIABLES`). */
  public readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: ProxyCredentialsSecretProps) {
    super(scope, id);
    const role = vpcFunctionRole(this, 'Role');
    grantReadCredentials(props.credentials, role);
    acknowledgeOwnInlinePolicy(
      role,
      "The Secret writer's role may read the one proxy secret (and decrypt it through Secrets Manager)",
    );
    const cluster = props.cluster;
    this.environment = {
      [WRITER_VARIABLES.clusterName]: cluster.clusterName,
      [WRITER_VARIABLES.endpoint]: cluster.clusterEndpoint,
      [WRITER_VARIABLES.certificateAuthority]: cluster.clusterCertificateAuthorityData,
      ...credentialsEnvironment(props.credentials),
      [WRITER_VARIABLES.httpProxy]: props.httpProxy,
      [WRITER_VARIABLES.httpsProxy]: props.httpsProxy,
      [WRITER_VARIABLES.namespace]: props.namespace,
      [WRITER_VARIABLES.secretName]: PROXY_CREDENTIALS_SECRET_NAME,
      AWS_STS_REGIONAL_ENDPOINTS: 'regional',
    };
    this.checkEnvironmentSize();
    const fn = new lambda.Function(this, 'Handler', {
      description: 'cdk-private-eks: writes the proxy credentials Kubernetes Secret from Secrets Manager',
      runtime: lambda.Runtime.determineLatestPythonRuntime(this),
      handler: 'index.handler',
      // index.py and proxy_auth.py, staged from lib/credentials/python.
      code: lambda.Code.fromAsset(secretWriterHandlerDir(), { exclude: ['__pycache__', '*.pyc'] }),
      timeout: Duration.minutes(2),
      role,
      vpc: cluster.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [
        ec2.SecurityGroup.fromSecurityGroupId(this, 'ClusterSecurityGroup', cluster.clusterSecurityGroupId),
      ],
      environment: this.environment,
    });
    acknowledgeCustomResourceFunction(
      fn,
      'its handler catches every error and sends FAILED with the reason, lib/credentials/python/secret_writer.py',
    );

    // The access entry: no access policy (an AWS-managed one such as AmazonEKSEditPolicy would allow far
    // more in the namespace: impersonating its service accounts, creating pods), only our Kubernetes group.
    // aws-eks-v2's AccessEntry cannot set kubernetesGroups, so the CloudFormation resource is used, with
    // the logical id the earlier `cluster.grantAccess('ProxyCredentialsWriter')` gave: an existing stack
    // updates the entry in place, where a replacement would be created first and fail, as EKS allows one
    // access entry per principal. `Type` stays unset for the same reason (a change of Type replaces the
    // entry); EKS makes it STANDARD (EKS API reference, CreateAccessEntry: "If you don't specify a value,
    // Amazon EKS sets the value to STANDARD").
    // kube-system's writer keeps the id and group it always had; a writer for another namespace gets its own
    // group, bound in its namespace only, so no writer can touch another namespace's Secret.
    const group = writerGroup(props.namespace);
    const accessEntry = accessEntryAtGrantAccessPath(
      cluster,
      props.namespace === 'kube-system' ? 'ProxyCredentialsWriter' : `ProxyCredentialsWriter-${props.namespace}`,
      {
        clusterName: cluster.clusterName,
        principalArn: role.roleArn,
        kubernetesGroups: [group],
      },
    );
    // The Role and RoleBinding, applied by the cluster's kubectl provider.
    const rbac = new eks.KubernetesManifest(this, 'Rbac', {
      cluster,
      manifest: writerRbacObjects({
        namespace: props.namespace,
        secretName: PROXY_CREDENTIALS_SECRET_NAME,
        group,
      }),
    });

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::CdkPrivateEksProxyCredentials',
      // The handler reads none of these: they are here so that CloudFormation sends an Update (and the
      // Secret is written again) when the revision or anything of the configuration changes, deploy-time
      // values such as a replaced cluster's endpoint included.
      properties: {
        Revision: props.credentials.revision ?? '',
        Configuration: this.environment,
      },
    });
    // The access entry and the RBAC objects must exist before the function calls the API server, and go
    // after it has deleted the Secret.
    this.resource.node.addDependency(accessEntry, rbac);
  }

  /** Lambda's 4 KB limit on the function's variables, with deploy-time values counted at their bound. */
  private checkEnvironmentSize(): void {
    const counted = Object.fromEntries(
      Object.entries(this.environment).map(([k, v]) => [
        k,
        Token.isUnresolved(v) ? 'x'.repeat(DEPLOY_TIME_VALUE_BYTES[k] ?? OTHER_DEPLOY_TIME_VALUE_BYTES) : v,
      ]),
    );
    const bytes = lambdaEnvironmentBytes(counted);
    if (bytes > LAMBDA_ENVIRONMENT_MAX_BYTES) {
      invalid(
        this,
        'proxy',
        `makes the proxy-credentials Secret writer's environment about ${bytes} bytes (the cluster CA counted at ${DEPLOY_TIME_VALUE_BYTES[WRITER_VARIABLES.certificateAuthority]}), over Lambda's ${LAMBDA_ENVIRONMENT_MAX_BYTES}-byte limit`,
        'Use shorter proxy URLs',
      );
    }
  }
}
