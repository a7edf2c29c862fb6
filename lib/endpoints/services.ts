import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { ProxyCredentials } from '../credentials/proxy-credentials';
import { invalid } from '../errors';
import { dualStackSuffix } from '../private/dns-suffix';

const AWS = ec2.InterfaceVpcEndpointAwsService;

/** A service name or host prefix: lowercase DNS labels joined by dots (`ecs`, `ecr.api`, `bedrock-runtime`). */
const SERVICE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * An AWS service that a private cluster reaches through a VPC endpoint, with the host names its
 * endpoint serves (for NO_PROXY).
 *
 * Service names come from aws-cdk-lib's `InterfaceVpcEndpointAwsService`, which picks the
 * `cn.com.amazonaws` prefix in the China regions when the stack's region is concrete.
 */
export class EndpointService {
  /** Amazon EC2 API: nodeadm's DescribeInstances, the VPC CNI's ENI calls, the cloud provider. */
  public static readonly EC2 = EndpointService.iface(AWS.EC2);

  /** Amazon ECR API (`api.ecr.REGION`): authentication and image manifests. */
  public static readonly ECR_API = EndpointService.iface(AWS.ECR, ['api.ecr']);

  /** Amazon ECR registry (`ACCOUNT.dkr.ecr.REGION`): image pulls; layers come from S3. */
  public static readonly ECR_DKR = EndpointService.iface(AWS.ECR_DOCKER, ['dkr.ecr'], true);

  /** AWS STS: IAM roles for service accounts and the regional STS endpoint. */
  public static readonly STS = EndpointService.iface(AWS.STS);

  /** Amazon EKS API (`eks.REGION`, not the cluster's API server): DescribeCluster for the kubectl provider. */
  public static readonly EKS = EndpointService.iface(AWS.EKS);

  /**
   * EKS Auth (`eks-auth.REGION.api.aws`): the EKS Pod Identity agent.
   * Host from the EKS service endpoints table (docs.aws.amazon.com/general/latest/gr/eks.html).
   */
  public static readonly EKS_AUTH = new EndpointService(
    'eks-auth',
    ec2.InterfaceVpcEndpointAwsService.EKS_AUTH,
    undefined,
    // eks-auth.REGION.{dualStackDnsSuffix} in the SDK endpoint rules (api.amazonwebservices.com.cn in China).
    (region, suffix) => [`eks-auth.${region}.${dualStackSuffix(suffix)}`],
  );

  /** Elastic Load Balancing: the AWS Load Balancer Controller. */
  public static readonly ELASTIC_LOAD_BALANCING = EndpointService.iface(AWS.ELASTIC_LOAD_BALANCING);

  /** CloudWatch Logs: Fluent Bit, the CloudWatch agent, container insights. */
  public static readonly CLOUDWATCH_LOGS = EndpointService.iface(AWS.CLOUDWATCH_LOGS);

  /** CloudWatch metrics (`monitoring.REGION`): the CloudWatch agent's PutMetricData. */
  public static readonly CLOUDWATCH_MONITORING = EndpointService.iface(AWS.CLOUDWATCH_MONITORING);

  /** Amazon EFS API (`elasticfilesystem.REGION`): the EFS CSI driver's access points. */
  public static readonly ELASTIC_FILESYSTEM = EndpointService.iface(AWS.ELASTIC_FILESYSTEM);

  /** Systems Manager: the SSM agent on nodes. */
  public static readonly SSM = EndpointService.iface(AWS.SSM);

  /** Amazon SQS: Karpenter's interruption queue. */
  public static readonly SQS = EndpointService.iface(AWS.SQS);

  /** Session Manager channels (with `SSM` and `EC2_MESSAGES`). */
  public static readonly SSM_MESSAGES = EndpointService.iface(AWS.SSM_MESSAGES);

  /** EC2 messages, for the SSM agent. */
  public static readonly EC2_MESSAGES = EndpointService.iface(AWS.EC2_MESSAGES);

  /** AWS X-Ray, when tracing is used. */
  public static readonly XRAY = EndpointService.iface(AWS.XRAY);

  /** AWS Lambda: CDK's custom-resource framework invokes the kubectl handler through it. */
  public static readonly LAMBDA = EndpointService.iface(AWS.LAMBDA);

  /** EC2 Auto Scaling: the Cluster Autoscaler. */
  public static readonly AUTOSCALING = EndpointService.iface(AWS.AUTOSCALING);

  /** AWS CloudFormation: `cfn-signal` from self-managed nodes. */
  public static readonly CLOUDFORMATION = EndpointService.iface(AWS.CLOUDFORMATION);

  /** AWS Secrets Manager. */
  public static readonly SECRETS_MANAGER = EndpointService.iface(AWS.SECRETS_MANAGER);

  /** AWS KMS. */
  public static readonly KMS = EndpointService.iface(AWS.KMS);

  /**
   * Amazon S3 as a gateway endpoint (free): ECR image layers, Amazon Linux repositories and the
   * CloudFormation custom-resource response bucket. Its policy is scoped to those buckets.
   */
  public static readonly S3 = new EndpointService(
    's3',
    undefined,
    ec2.GatewayVpcEndpointAwsService.S3,
    (region, suffix) => [
      `s3.${region}.${suffix}`,
      `s3.dualstack.${region}.${suffix}`,
      // The legacy global name is served by the gateway endpoint only in us-east-1.
      ...(region === 'us-east-1' ? [`s3.${suffix}`] : []),
    ],
    // Virtual-hosted buckets: BUCKET.s3.REGION... (ECR layers, the Amazon Linux repositories).
    true,
  );

  /**
   * Any other interface endpoint service, e.g. `EndpointService.interfaceService('ecs')`.
   *
   * @param name the service name after `com.amazonaws.REGION.`
   * @param hostPrefix the host its private DNS name serves, before `.REGION.SUFFIX`
   * @default hostPrefix - the same as `name`
   */
  public static interfaceService(name: string, hostPrefix?: string): EndpointService {
    // Both end up in NO_PROXY, which nodes write into /etc/environment and systemd units: they must be
    // plain DNS labels, known at synth time.
    for (const [prop, value] of [
      ['name', name],
      ['hostPrefix', hostPrefix ?? name],
    ] as const) {
      if (typeof value !== 'string' || Token.isUnresolved(value) || !SERVICE_NAME.test(value)) {
        invalid(
          'EndpointService',
          prop,
          `'${String(value)}' is not a service name (lowercase DNS labels joined by dots, known at synth time)`,
          "Give the name after com.amazonaws.REGION., for example 'ecs' or 'ecr.api'",
        );
      }
    }
    return EndpointService.iface(new AWS(name), [hostPrefix ?? name]);
  }

  /** An interface endpoint service, named as aws-cdk-lib names it (`shortName`, e.g. `ecr.api`). */
  private static iface(
    service: ec2.InterfaceVpcEndpointAwsService,
    prefixes: string[] = [service.shortName],
    subdomains = false,
  ): EndpointService {
    return new EndpointService(
      service.shortName,
      service,
      undefined,
      (region, suffix) => prefixes.map((p) => `${p}.${region}.${suffix}`),
      subdomains,
    );
  }

  /** The short service name, e.g. `ecr.api`. */
  public readonly name: string;

  /**
   * True when clients call names under the service's hosts, not only the hosts themselves
   * (`ACCOUNT.dkr.ecr.REGION...`, `BUCKET.s3.REGION...`): an allowlist must then take the whole domain.
   */
  public readonly subdomains: boolean;

  /** @internal */
  public readonly _interface?: ec2.InterfaceVpcEndpointAwsService;

  /** @internal */
  public readonly _gateway?: ec2.GatewayVpcEndpointAwsService;

  private readonly hosts: (region: string, suffix: string) => string[];

  private constructor(
    name: string,
    iface: ec2.InterfaceVpcEndpointAwsService | undefined,
    gateway: ec2.GatewayVpcEndpointAwsService | undefined,
    hosts: (region: string, suffix: string) => string[],
    subdomains = false,
  ) {
    this.name = name;
    this.subdomains = subdomains;
    this._interface = iface;
    this._gateway = gateway;
    this.hosts = hosts;
  }

  /**
   * The host names this service's endpoint serves, for NO_PROXY. Each entry also matches its
   * subdomains in Go, curl and Python (e.g. `dkr.ecr.REGION.SUFFIX` covers `ACCOUNT.dkr.ecr…`).
   *
   * @param region the region, or a token
   * @param urlSuffix `amazonaws.com`, `amazonaws.com.cn`, or a token
   */
  public hostNames(region: string, urlSuffix: string): string[] {
    return this.hosts(region, urlSuffix);
  }
}

/**
 * Named sets of endpoint services.
 */
export class EndpointPresets {
  /**
   * What managed nodes need to join and pull images from ECR without a proxy:
   * EC2, ECR API, ECR registry, STS and the S3 gateway.
   */
  public static nodes(): EndpointService[] {
    return [
      EndpointService.EC2,
      EndpointService.ECR_API,
      EndpointService.ECR_DKR,
      EndpointService.STS,
      EndpointService.S3,
    ];
  }

  /**
   * What CDK's kubectl provider needs from private subnets: the EKS API (DescribeCluster), Lambda
   * (the framework function invokes the handler), STS, and S3 for the CloudFormation response.
   */
  public static kubectlProvider(): EndpointService[] {
    return [EndpointService.EKS, EndpointService.LAMBDA, EndpointService.STS, EndpointService.S3];
  }

  /** `nodes()` and `kubectlProvider()` together: the default of `PrivateEksCluster`. */
  public static minimal(): EndpointService[] {
    return uniqueServices([...EndpointPresets.nodes(), ...EndpointPresets.kubectlProvider()]);
  }

  /** Session Manager access to nodes: SSM, SSM messages, EC2 messages. */
  public static sessionManager(): EndpointService[] {
    return [EndpointService.SSM, EndpointService.SSM_MESSAGES, EndpointService.EC2_MESSAGES];
  }

  /**
   * `minimal()` plus what an authenticating proxy needs reached without it (`credentialServices`):
   * Secrets Manager. No KMS, even for a secret under a customer key: Secrets Manager decrypts it for the
   * caller (the caller needs `kms:Decrypt` through `kms:ViaService`, not a route to KMS).
   *
   * @param _credentials the proxy credentials (kept for compatibility; the services do not depend on them)
   */
  public static withProxyCredentials(_credentials?: ProxyCredentials): EndpointService[] {
    return uniqueServices([...EndpointPresets.minimal(), ...credentialServices()]);
  }

  /**
   * The full list of the EKS user guide's "Deploy private clusters with limited internet access",
   * plus Lambda for the CDK providers.
   */
  public static privateClusterGuide(): EndpointService[] {
    return uniqueServices([
      ...EndpointPresets.minimal(),
      EndpointService.EKS_AUTH,
      EndpointService.ELASTIC_LOAD_BALANCING,
      EndpointService.CLOUDWATCH_LOGS,
      ...EndpointPresets.sessionManager(),
      EndpointService.XRAY,
      EndpointService.AUTOSCALING,
    ]);
  }

  private constructor() {}
}

/** Remove duplicate services (by name), keeping the first. */
export function uniqueServices(services: EndpointService[]): EndpointService[] {
  const seen = new Set<string>();
  return services.filter((s) => (seen.has(s.name) ? false : (seen.add(s.name), true)));
}

/**
 * What an authenticating proxy needs reached without it, because the credentials are needed to use the
 * proxy: Secrets Manager (the secret). Not KMS, whatever the secret's key: GetSecretValue makes Secrets
 * Manager call KMS Decrypt on the caller's behalf (hence the `kms:ViaService` condition on the readers'
 * grant), so the reader itself never calls KMS and a KMS endpoint would serve nothing.
 */
export function credentialServices(): EndpointService[] {
  return [EndpointService.SECRETS_MANAGER];
}

/**
 * The services an egress proxy allows by default: what EKS nodes (and the kubectl provider, and
 * self-managed nodes' cfn-signal) reach in AWS when NO VPC endpoint serves it, the regional APIs of the
 * EKS user guide's "Deploy private clusters with limited internet access" list:
 * - EC2 API: nodeadm's DescribeInstances at boot (amazon-eks-ami, nodeadm) and the VPC CNI's ENI calls;
 * - STS regional endpoint: IAM roles for service accounts; the kubectl provider's token;
 * - ECR API (authentication, manifests) and the registry (ECR user guide, "Amazon ECR interface VPC
 *   endpoints");
 * - S3, regional and dual-stack: ECR image layers (prod-REGION-starport-layer-bucket, same ECR page) and
 *   the AL2023 package repositories (al2023-repos-REGION-*.s3.dualstack.REGION..., the mirrorlist of
 *   /etc/yum.repos.d/amazonlinux.repo). A domain rule cannot name buckets: this allows every bucket in
 *   the region (list exact hosts with `includeDefaultDomains: false` to narrow it);
 * - EKS API: DescribeCluster (the kubectl provider, nodes without a pinned AMI bootstrap);
 * - EKS Auth for the Pod Identity agent;
 * - Systems Manager agent and Session Manager (ssm, ssmmessages, ec2messages);
 * - CloudWatch Logs: Fluent Bit, the CloudWatch agent;
 * - CloudFormation: cfn-signal from self-managed nodes.
 * The order is the order of the allowlist.
 */
export function egressServices(): EndpointService[] {
  return [
    EndpointService.EC2,
    EndpointService.STS,
    EndpointService.ECR_API,
    EndpointService.ECR_DKR,
    EndpointService.S3,
    EndpointService.EKS,
    EndpointService.EKS_AUTH,
    ...EndpointPresets.sessionManager(),
    EndpointService.CLOUDWATCH_LOGS,
    EndpointService.CLOUDFORMATION,
  ];
}
