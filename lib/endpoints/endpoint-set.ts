import { Annotations, Aws, Fn, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { invalid } from '../errors';
import { s3BucketNameProblem } from '../private/aws-names';
import { isNetworkAddress, parseCidr } from '../private/cidr';
import { regionAndSuffix } from '../private/partition';
import { checkVpcCidrsAtSynth, checkVpcDns, privateSubnetSelection, vpcCidrs } from '../private/vpc';
import { EndpointPresets, EndpointService, uniqueServices } from './services';

/**
 * AWS PrivateLink list price of one interface endpoint in one AZ, per hour, in USD (us-east-1,
 * https://aws.amazon.com/privatelink/pricing/, "Interface Endpoint pricing", checked 2026-11).
 * Other regions differ (China is billed in CNY); data processing (0.01 USD/GB) comes on top.
 */
export const INTERFACE_ENDPOINT_USD_PER_AZ_HOUR = 0.01;

/** Hours in the average month used by AWS pricing pages. */
const HOURS_PER_MONTH = 730;

/**
 * Props for `EndpointSet`.
 */
export interface EndpointSetProps {
  /** The VPC to create the endpoints in. */
  readonly vpc: ec2.IVpc;

  /**
   * The services to serve through VPC endpoints.
   *
   * @default EndpointPresets.minimal() - what nodes and the kubectl provider need
   */
  readonly services?: EndpointService[];

  /**
   * Services that already have an endpoint in this VPC (created elsewhere). No endpoint is created
   * for them, but their hosts are still added to NO_PROXY and they count as available.
   * Their security group must allow HTTPS from the nodes.
   *
   * @default - none
   */
  readonly existingServices?: EndpointService[];

  /**
   * The subnets of the interface endpoints (one per AZ).
   *
   * @default - the VPC's private subnets (isolated ones if it has no private subnets with egress), one per AZ
   */
  readonly subnets?: ec2.SubnetSelection;

  /**
   * More S3 bucket names the gateway endpoint policy allows (GetObject and ListBucket), e.g. a
   * bucket your pods read. The buckets nodes need are always allowed.
   *
   * @default - none
   */
  readonly additionalS3Buckets?: string[];

  /**
   * Extra IPv4 CIDRs allowed to reach the interface endpoints on 443, besides the VPC's own.
   *
   * @default - none
   */
  readonly allowedCidrs?: string[];
}

/**
 * The VPC endpoints a private EKS cluster needs: interface endpoints sharing one security group
 * (HTTPS from the VPC only) with private DNS, and an S3 gateway endpoint whose policy allows only the
 * buckets nodes need. It tells the proxy configuration which hosts to bypass (`noProxyHosts`).
 */
export class EndpointSet extends Construct {
  /** The security group shared by every interface endpoint. */
  public readonly securityGroup: ec2.SecurityGroup;

  /** The services reachable through an endpoint (created here or listed as existing). */
  public readonly services: EndpointService[];

  /** The host names served by the endpoints, for NO_PROXY. */
  public readonly noProxyHosts: string[];

  /** The interface endpoints created, by service name. */
  public readonly interfaceEndpoints: { [service: string]: ec2.InterfaceVpcEndpoint } = {};

  /** The S3 gateway endpoint, when S3 is among the created services. */
  public readonly s3GatewayEndpoint?: ec2.GatewayVpcEndpoint;

  /** The estimated monthly list price of the interface endpoints in USD, when the AZ count is known. */
  public readonly estimatedMonthlyCostUsd?: number;

  constructor(scope: Construct, id: string, props: EndpointSetProps) {
    super(scope, id);
    const stack = Stack.of(this);
    checkVpcDns(this, props.vpc);

    const existing = uniqueServices(props.existingServices ?? []);
    const existingNames = new Set(existing.map((s) => s.name));
    const toCreate = uniqueServices(props.services ?? EndpointPresets.minimal()).filter(
      (s) => !existingNames.has(s.name),
    );
    this.services = uniqueServices([...toCreate, ...existing]);

    if (Token.isUnresolved(stack.region)) {
      Annotations.of(this).addWarningV2(
        'cdk-private-eks:endpoint-region-token',
        'The stack has no concrete region, so interface endpoint service names use the com.amazonaws. prefix. ' +
          'That is wrong in the China regions, where most services use cn.com.amazonaws.: set env.region on the stack to deploy to aws-cn.',
      );
    }

    checkEndpointSetInputs(this, props);

    const subnets = props.vpc.selectSubnets({
      ...(props.subnets ?? privateSubnetSelection(props.vpc)),
      onePerAz: true,
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'VPC interface endpoints: HTTPS from the VPC only',
      allowAllOutbound: false,
    });
    const cidrs = vpcCidrs(props.vpc);
    checkVpcCidrsAtSynth(this, props.vpc, cidrs, "the endpoints' security group rules");
    for (const cidr of [...cidrs, ...(props.allowedCidrs ?? [])]) {
      this.securityGroup.addIngressRule(
        ec2.Peer.ipv4(cidr),
        ec2.Port.tcp(443),
        'HTTPS to VPC endpoints from inside the VPC',
      );
    }

    for (const service of toCreate) {
      if (service._interface) {
        this.interfaceEndpoints[service.name] = new ec2.InterfaceVpcEndpoint(this, idFor(service.name), {
          vpc: props.vpc,
          service: service._interface,
          subnets,
          securityGroups: [this.securityGroup],
          privateDnsEnabled: true,
          open: false,
        });
      } else if (service._gateway) {
        // Created in this scope (not vpc.addGatewayEndpoint) so that depending on the set waits for it too.
        this.s3GatewayEndpoint = new ec2.GatewayVpcEndpoint(this, idFor(service.name), {
          vpc: props.vpc,
          service: service._gateway,
          // Every private and isolated route table: that is where nodes and the provider Lambdas run.
          subnets: [props.vpc.privateSubnets, props.vpc.isolatedSubnets]
            .filter((s) => s.length > 0)
            .map((s) => ({ subnets: s })),
        });
        for (const statement of s3GatewayStatements(props.additionalS3Buckets ?? [])) {
          this.s3GatewayEndpoint.addToPolicy(statement);
        }
      }
    }

    const { region, urlSuffix } = regionAndSuffix(this);
    this.noProxyHosts = this.services.flatMap((s) => s.hostNames(region, urlSuffix));

    const interfaceCount = Object.keys(this.interfaceEndpoints).length;
    const azCount = subnets.availabilityZones.length;
    if (azCount > 0 && !subnets.availabilityZones.some((az) => Token.isUnresolved(az))) {
      const cost = interfaceCount * azCount * HOURS_PER_MONTH * INTERFACE_ENDPOINT_USD_PER_AZ_HOUR;
      this.estimatedMonthlyCostUsd = Math.round(cost * 100) / 100;
      Annotations.of(this).addInfo(
        `EndpointSet: ${interfaceCount} interface endpoints x ${azCount} AZs x ${HOURS_PER_MONTH} h x ` +
          `${INTERFACE_ENDPOINT_USD_PER_AZ_HOUR} USD = about ${this.estimatedMonthlyCostUsd.toFixed(2)} USD/month ` +
          '(AWS PrivateLink list price per endpoint-AZ-hour in us-east-1, https://aws.amazon.com/privatelink/pricing/; ' +
          'other regions differ, data processing is extra; the S3 gateway endpoint is free)',
      );
    }
  }

  /**
   * True when `service` is reachable through an endpoint of this set.
   * @param service the service to look for
   */
  public has(service: EndpointService): boolean {
    return this.services.some((s) => s.name === service.name);
  }

  /**
   * Allow another security group (e.g. the cluster's) to reach the interface endpoints on 443.
   * @param peer the security group or CIDR
   */
  public allowFrom(peer: ec2.IPeer): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcp(443), 'HTTPS to VPC endpoints');
  }
}

/** A construct id from a service name: `ecr.dkr` -> `EcrDkr`. */
function idFor(name: string): string {
  return name
    .split(/[.-]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

/**
 * The S3 gateway endpoint policy: only the buckets nodes and the CDK providers really use.
 * Bucket names: EKS user guide "Create a VPC endpoint for Amazon ECR" (prod-REGION-starport-layer-bucket),
 * the Amazon Linux 2023 and Amazon Linux 2 repository buckets, and the CloudFormation custom-resource
 * response bucket (cloudformation-custom-resource-response-REGIONWITHOUTDASHES).
 */
export function s3GatewayStatements(additionalBuckets: string[]): iam.PolicyStatement[] {
  const region = Aws.REGION;
  const arn = (bucket: string) => `arn:${Aws.PARTITION}:s3:::${bucket}`;
  const regionWithoutDashes = Fn.join('', Fn.split('-', region));
  const statements = [
    new iam.PolicyStatement({
      sid: 'EcrImageLayers',
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:GetObject'],
      resources: [arn(`prod-${region}-starport-layer-bucket/*`)],
    }),
    new iam.PolicyStatement({
      sid: 'AmazonLinuxRepositories',
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:GetObject'],
      resources: [
        arn(`al2023-repos-${region}-*/*`),
        arn(`amazonlinux-2-repos-${region}/*`),
        arn(`amazonlinux.${region}.amazonaws.com/*`),
        arn(`packages.${region}.amazonaws.com/*`),
        arn(`repo.${region}.amazonaws.com/*`),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'CloudFormationCustomResourceResponses',
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [arn(`cloudformation-custom-resource-response-${regionWithoutDashes}/*`)],
    }),
  ];
  if (additionalBuckets.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'AdditionalBuckets',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:ListBucket'],
        resources: additionalBuckets.flatMap((b) => [arn(b), arn(`${b}/*`)]),
      }),
    );
  }
  return statements;
}

/** Concrete allowed CIDRs and S3 bucket names must be what they claim to be (tokens pass to CloudFormation). */
function checkEndpointSetInputs(scope: Construct, props: EndpointSetProps): void {
  (props.allowedCidrs ?? []).forEach((cidr, i) => {
    if (Token.isUnresolved(cidr)) {
      return;
    }
    const parsed = parseCidr(cidr);
    if (!parsed || !isNetworkAddress(cidr)) {
      invalid(
        scope,
        `allowedCidrs[${i}]`,
        `'${cidr}' is not an IPv4 CIDR with its host bits zero`,
        'Write it as a.b.c.d/n, for example 10.20.0.0/16',
      );
    }
    if (parsed.prefix < 8) {
      invalid(
        scope,
        `allowedCidrs[${i}]`,
        `'${cidr}' is broader than a /8`,
        'List the networks that call the endpoints, for example your on-premises ranges',
      );
    }
  });
  (props.additionalS3Buckets ?? []).forEach((bucket, i) => {
    const problem = Token.isUnresolved(bucket) ? undefined : s3BucketNameProblem(bucket);
    if (problem) {
      invalid(
        scope,
        `additionalS3Buckets[${i}]`,
        problem,
        'Name the buckets the nodes read from, for example my-artifacts or my-artifacts-*',
      );
    }
  });
}
