import * as fs from 'fs';
import * as path from 'path';
import { CustomResource, Duration, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { stageData } from '../credentials/assets';
import { credentialsEnvironment } from '../credentials/kubectl-handler';
import { grantReadCredentials } from '../credentials/proxy-credentials';
import { EndpointSet } from '../endpoints/endpoint-set';
import { acknowledgeCustomResourceFunction, acknowledgeOwnInlinePolicy } from '../private/nag';
import { vpcFunctionRole } from '../private/lambda';
import { regionAndSuffix } from '../private/partition';
import { invalid } from '../private/validation';
import { ProxySettings } from '../proxy/proxy-settings';

/** Options of the preflight that runs before node groups are created. */
export interface PreflightOptions {
  /**
   * Run the preflight before the first node group added with `addProxiedNodeGroup` or
   * `addSelfManagedNodeGroup` (the groups depend on it).
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * A domain nodes reach through the proxy (for example the registry your images come from): the preflight
   * asks the proxy for `CONNECT <domain>:443`, with the proxy's credentials, and fails unless it answers 200.
   *
   * @default - the preflight only opens a TCP connection to the proxy
   */
  readonly proxyTestDomain?: string;
}

/** What the preflight checks and from where. */
export interface NodePreflightProps {
  readonly cluster: eks.ICluster;
  readonly vpc: ec2.IVpc;
  /** The node subnets: the function runs there. */
  readonly subnets: ec2.SubnetSelection;
  readonly endpoints: EndpointSet;
  readonly proxy?: ProxySettings;
  readonly proxyTestDomain?: string;
}

/** The function's variables (read by lib/preflight/python/preflight.py). */
export const PREFLIGHT_VARIABLES = {
  interfaceHosts: 'CDK_PRIVATE_EKS_PREFLIGHT_INTERFACE_HOSTS',
  gatewayHosts: 'CDK_PRIVATE_EKS_PREFLIGHT_GATEWAY_HOSTS',
  vpcCidrs: 'CDK_PRIVATE_EKS_PREFLIGHT_VPC_CIDRS',
  proxyUrl: 'CDK_PRIVATE_EKS_PREFLIGHT_PROXY_URL',
  connectDomain: 'CDK_PRIVATE_EKS_PREFLIGHT_CONNECT_DOMAIN',
} as const;

/** The seconds CloudFormation waits for the answer before it fails the resource (custom resource `ServiceTimeout`). */
export const PREFLIGHT_SERVICE_TIMEOUT = Duration.minutes(4);

/** The code of the function: `index.py` and `proxy_auth.py` (for the Secrets Manager client settings). */
export function preflightHandlerDir(): string {
  const read = (...p: string[]) => fs.readFileSync(path.join(__dirname, '..', ...p));
  return stageData('preflight', [
    { to: 'index.py', mode: 0o644, data: read('preflight', 'python', 'preflight.py') },
    { to: 'proxy_auth.py', mode: 0o644, data: read('credentials', 'python', 'proxy_auth.py') },
  ]);
}

/**
 * The hosts the preflight checks: each interface endpoint's names (for a service reached under its names,
 * such as the ECR registry, the account's own registry host), and the S3 gateway's regional name.
 */
export function preflightHosts(
  endpoints: EndpointSet,
  account: string,
  region: string,
  urlSuffix: string,
): { interfaceHosts: string[]; gatewayHosts: string[] } {
  const interfaceHosts: string[] = [];
  const gatewayHosts: string[] = [];
  for (const service of endpoints.services) {
    const names = service.hostNames(region, urlSuffix);
    if (service._gateway) {
      gatewayHosts.push(names[0]);
    } else if (service.subdomains) {
      interfaceHosts.push(`${account}.${names[0]}`);
    } else {
      interfaceHosts.push(...names);
    }
  }
  return { interfaceHosts, gatewayHosts };
}

/**
 * A small function in the node subnets, with the cluster security group the nodes use, run as a custom
 * resource before any node group: it checks the endpoints and the proxy the nodes will need and fails the
 * stack within minutes with the reason (lib/preflight/python/preflight.py), instead of a node group that
 * fails after 20 minutes with "nodes failed to join". One function and one custom resource: no provider
 * framework. CloudFormation fails the resource itself if no answer comes within `PREFLIGHT_SERVICE_TIMEOUT`.
 */
export class NodePreflight extends Construct {
  /** The custom resource node groups depend on. */
  public readonly resource: CustomResource;

  /** The function's configuration. */
  public readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: NodePreflightProps) {
    super(scope, id);
    const domain = props.proxyTestDomain;
    if (domain !== undefined && !props.proxy) {
      invalid(
        this,
        'preflight.proxyTestDomain',
        'is set, but the cluster has no proxy',
        'Drop it, or give the cluster a proxy',
      );
    }
    if (
      domain !== undefined &&
      !Token.isUnresolved(domain) &&
      !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(domain)
    ) {
      invalid(
        this,
        'preflight.proxyTestDomain',
        `'${domain}' is not a DNS name`,
        'Give a host name such as public.ecr.aws',
      );
    }
    const { region, urlSuffix } = regionAndSuffix(this);
    const hosts = preflightHosts(props.endpoints, Stack.of(this).account, region, urlSuffix);
    const proxy = props.proxy;
    this.environment = {
      [PREFLIGHT_VARIABLES.interfaceHosts]: hosts.interfaceHosts.join(','),
      [PREFLIGHT_VARIABLES.gatewayHosts]: hosts.gatewayHosts.join(','),
      [PREFLIGHT_VARIABLES.vpcCidrs]: props.vpc.vpcCidrBlock,
      ...(proxy
        ? {
            [PREFLIGHT_VARIABLES.proxyUrl]: proxy.httpsProxy,
            // The credentials only serve the CONNECT check, which runs only with a test domain.
            ...(domain ? { [PREFLIGHT_VARIABLES.connectDomain]: domain } : {}),
            ...(domain && proxy.credentials ? credentialsEnvironment(proxy.credentials) : {}),
          }
        : {}),
    };

    const role = vpcFunctionRole(this, 'Role');
    if (domain && proxy?.credentials) {
      // The CONNECT check sends the credentials as the nodes do.
      grantReadCredentials(proxy.credentials, role);
      acknowledgeOwnInlinePolicy(
        role,
        "The preflight's role may read the one proxy secret, to test the proxy as nodes use it",
      );
    }
    const fn = new lambda.Function(this, 'Handler', {
      description: 'cdk-private-eks: checks the endpoints and the proxy nodes need, before node groups are created',
      runtime: lambda.Runtime.determineLatestPythonRuntime(this),
      handler: 'index.handler',
      code: lambda.Code.fromAsset(preflightHandlerDir()),
      timeout: Duration.minutes(2),
      role,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [
        ec2.SecurityGroup.fromSecurityGroupId(this, 'ClusterSecurityGroup', props.cluster.clusterSecurityGroupId),
      ],
      environment: this.environment,
    });
    acknowledgeCustomResourceFunction(
      fn,
      'its handler answers FAILED with the reason for every problem it finds, lib/preflight/python/preflight.py',
    );
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::CdkPrivateEksPreflight',
      serviceTimeout: PREFLIGHT_SERVICE_TIMEOUT,
      // Not read by the handler: a changed configuration makes CloudFormation send an Update, which checks again.
      properties: { Configuration: this.environment },
    });
  }
}
