import { Aws, Duration, Stack, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  acknowledgeNag,
  acknowledgeOwnInlinePolicy,
  managedPolicyFinding,
  NIST_RULES,
  SSM_AGENT_POLICY,
} from '../private/nag';
import { checkVpcCidrsAtSynth, vpcCidrs } from '../private/vpc';
import { ProxyOptions, ProxySettings } from '../proxy/proxy-settings';
import {
  checkCapacity,
  checkCidrs,
  checkPort,
  checkPrivateDestinations,
  composeDomains,
  selectLoadBalancerSubnets,
  selectProxySubnets,
} from './egress-props';
import { renderProxyUserData } from './proxy-user-data';
import { renderSquidConfig } from './squid-config';

/**
 * Props for `EgressProxy`.
 */
export interface EgressProxyProps {
  /** The VPC of the cluster. It needs subnets with a way to the internet for the proxies (public by default). */
  readonly vpc: ec2.IVpc;

  /**
   * Destination domains the proxy allows, added to the defaults: `registry-1.docker.io` for one host,
   * `.docker.io` (or `*.docker.io`) for a domain and all its subdomains.
   *
   * @default - only the defaults (the regional AWS APIs nodes call, see `includeDefaultDomains`)
   */
  readonly allowedDomains?: string[];

  /**
   * Allow the regional AWS APIs that EKS nodes call when no VPC endpoint serves them: EC2, STS, ECR
   * (API and registry), S3 (regional and dual-stack, for ECR layers and the Amazon Linux repositories),
   * EKS, EKS Auth, Systems Manager (ssm, ssmmessages, ec2messages), CloudWatch Logs and CloudFormation.
   *
   * @default true
   */
  readonly includeDefaultDomains?: boolean;

  /**
   * Instance type of the proxies. Amazon Linux 2023 of the matching architecture is used.
   *
   * @default t4g.small (arm64)
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Minimum number of proxies. At least 2: a single proxy is a single point of failure for every node
   * and for the kubectl provider.
   *
   * @default 2
   */
  readonly minCapacity?: number;

  /**
   * Maximum number of proxies.
   *
   * @default - the same as minCapacity
   */
  readonly maxCapacity?: number;

  /**
   * Subnets of the proxies: they need a way to the internet, in at least two Availability Zones.
   * Proxies in public subnets get a public IPv4 address.
   *
   * @default - the VPC's public subnets
   */
  readonly proxySubnets?: ec2.SubnetSelection;

  /**
   * Subnets of the internal Network Load Balancer that clients connect to (one per Availability Zone).
   *
   * @default - the private subnets the nodes use (isolated ones when the VPC has no private subnets with egress)
   */
  readonly loadBalancerSubnets?: ec2.SubnetSelection;

  /**
   * The proxy port, on the load balancer and on the proxies.
   *
   * @default 3128
   */
  readonly port?: number;

  /**
   * Client networks allowed to use the proxy, in the security groups and in Squid.
   *
   * @default - the VPC's IPv4 CIDR blocks
   */
  readonly allowedCidrs?: string[];

  /**
   * Retention of the access log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * A customer KMS key for the access log group. A key defined in this app gets the key policy statement
   * the CloudWatch Logs user guide gives ("Encrypt log data in CloudWatch Logs using AWS KMS"): the
   * regional CloudWatch Logs service may use it for this account's log groups in this region. An
   * imported key must already allow that; CloudWatch Logs refuses a key it cannot use.
   *
   * @default - CloudWatch Logs' own encryption (a key AWS manages)
   */
  readonly logEncryptionKey?: kms.IKey;

  /**
   * Private destinations the proxy may reach. By default it refuses every RFC 1918 address, the shared
   * address space 100.64.0.0/10 and IPv6 unique local addresses (fc00::/7), besides link-local ones and
   * itself, even for an allowlisted name: otherwise a name that resolves into the VPC (an interface
   * endpoint with private DNS, a load balancer), a peered network or on-premises would be reachable by
   * every client of the proxy, around the security groups that guard it. Allowing a range gives all
   * clients that reach; keep it to what must be (e.g. an on-premises registry's subnet).
   *
   * @default - none
   */
  readonly allowedPrivateDestinations?: string[];

  /**
   * Give the proxies' role AmazonSSMManagedInstanceCore, so they can be reached with Session Manager:
   * they have no key pair and no SSH port, so without it nobody can log in to look at Squid (its logs
   * still go to `logGroup`). Turn it off when you never log in: processes on the proxies then hold only
   * the log group's permissions.
   *
   * @default true
   */
  readonly sessionManager?: boolean;

  /**
   * Turn on the load balancer's deletion protection. Its DNS name is the proxy URL in every node's user
   * data, the ConfigMap and the kubectl provider: a load balancer deleted outside CloudFormation cuts every
   * client off until the stack recreates it and every node is replaced. With it on, deleting the stack (or
   * replacing the load balancer) fails until you deploy it off again (ELB user guide, "Deletion
   * protection").
   *
   * @default false
   */
  readonly deletionProtection?: boolean;
}

/**
 * Why the Network Load Balancer has no access logs: they record TLS listeners only, and its listener is TCP.
 * Acknowledges AwsSolutions-ELB2 and NIST.800.53.R5-ELBLoggingEnabled.
 */
const NLB_ACCESS_LOG_REASON =
  'Network Load Balancer access logs record TLS listeners only (ELB user guide, "Access logs for your Network Load Balancer"); ' +
  "this one has a TCP listener, and every request is in the proxies' access log in CloudWatch Logs instead";

/** How long the Auto Scaling group waits for each new proxy to signal that Squid is up. */
const SIGNAL_TIMEOUT = Duration.minutes(15);

/**
 * An allowlisting HTTP(S) egress proxy for private clusters of teams without a corporate proxy: Squid
 * on Amazon Linux 2023 in an Auto Scaling group (at least two instances, in at least two Availability
 * Zones) behind an internal Network Load Balancer, with its access log in CloudWatch Logs.
 *
 * Plug it into a cluster with `proxy: egressProxy.proxySettings`.
 *
 * The proxies have no key pair: reach them with Session Manager. A change of the configuration
 * (allowlist, instance type, AMI) replaces them one at a time, each new one signalling CloudFormation
 * once Squid listens.
 */
export class EgressProxy extends Construct implements ec2.IConnectable {
  /** The proxy for `PrivateEksCluster`'s `proxy` prop: `http://<load balancer DNS name>:<port>`. */
  public readonly proxySettings: ProxySettings;

  /** The internal Network Load Balancer clients connect to. */
  public readonly loadBalancer: elbv2.NetworkLoadBalancer;

  /** The Auto Scaling group of the proxies. */
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;

  /** The log group of Squid's access log (one JSON object a line) and cache log. */
  public readonly logGroup: logs.LogGroup;

  /** The security group of the proxy instances. */
  public readonly instanceSecurityGroup: ec2.SecurityGroup;

  /** The IAM role of the proxy instances. */
  public readonly role: iam.Role;

  /** The rendered squid.conf (with CDK tokens where values are known at deploy time only). */
  public readonly squidConfig: string;

  /** The destination domains the proxy allows, normalised (Squid dstdomain syntax). */
  public readonly allowedDomains: string[];

  /** The proxy port. */
  public readonly port: number;

  /** The load balancer's security group: allow more clients with `connections.allowDefaultPortFrom()`. */
  public readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: EgressProxyProps) {
    super(scope, id);
    const vpc = props.vpc;
    this.port = checkPort(this, props.port ?? 3128);
    const { min, max } = checkCapacity(this, props.minCapacity ?? 2, props.maxCapacity);
    const proxySubnets = selectProxySubnets(this, vpc, props.proxySubnets);
    const loadBalancerSubnets = selectLoadBalancerSubnets(this, vpc, props.loadBalancerSubnets);
    let clients = props.allowedCidrs;
    if (clients === undefined) {
      clients = vpcCidrs(vpc);
      checkVpcCidrsAtSynth(this, vpc, clients, "the proxy's allowed clients");
    }
    const allowedCidrs = checkCidrs(this, clients);
    this.allowedDomains = composeDomains(this, props.allowedDomains ?? [], props.includeDefaultDomains ?? true);

    const allowedPrivateDestinations = checkPrivateDestinations(this, props.allowedPrivateDestinations ?? []);
    this.squidConfig = renderSquidConfig({
      port: this.port,
      allowedCidrs,
      allowedDomains: this.allowedDomains,
      allowedPrivateDestinations,
    });

    const logKey = props.logEncryptionKey;
    if (logKey instanceof kms.Key) {
      const stack = Stack.of(this);
      logKey.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(`logs.${stack.region}.${Aws.URL_SUFFIX}`)],
          actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          resources: ['*'],
          conditions: {
            ArnLike: {
              'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
            },
          },
        }),
      );
    }
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: logKey,
    });

    const sessionManager = props.sessionManager ?? true;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: sessionManager
        ? 'cdk-private-eks egress proxy: Session Manager and its own log group'
        : 'cdk-private-eks egress proxy: its own log group',
      managedPolicies: sessionManager ? [iam.ManagedPolicy.fromAwsManagedPolicyName(SSM_AGENT_POLICY)] : [],
    });
    if (sessionManager) {
      acknowledgeNag(
        this.role,
        managedPolicyFinding(SSM_AGENT_POLICY),
        'Session Manager replaces SSH (the proxies have no key pair); AmazonSSMManagedInstanceCore is the policy the Systems Manager user guide documents for its agent',
      );
    }
    // The CloudWatch agent creates one stream per instance and file, and writes to it.
    this.logGroup.grant(this.role, 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams');
    acknowledgeOwnInlinePolicy(this.role, "The proxies' role may write to their own access log group");

    const port = ec2.Port.tcp(this.port);
    const lbSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc,
      description: `cdk-private-eks egress proxy load balancer: TCP ${this.port} from the allowed client networks`,
      allowAllOutbound: false,
    });
    this.instanceSecurityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc,
      description: `cdk-private-eks egress proxy instances: TCP ${this.port} from the load balancer; HTTP(S) out`,
      allowAllOutbound: false,
    });
    allowedCidrs.forEach((cidr) => lbSecurityGroup.addIngressRule(peerOf(cidr), port, 'Proxy clients'));
    // A load balancer with a security group can be named in its targets' rules, client IP preservation
    // or not (ELB user guide, "Update the security groups for your Network Load Balancer"): traffic and
    // health checks come through it, so the instances accept the port from nowhere else.
    lbSecurityGroup.connections.allowTo(
      this.instanceSecurityGroup,
      port,
      'Load balancer to the proxies (traffic and health checks)',
    );
    // Out: HTTP and HTTPS only, the ports Squid allows (and dnf, the SSM and CloudWatch agents,
    // cfn-signal). The VPC resolver, IMDS and NTP are not filtered by security groups (VPC user guide,
    // "Security group rules").
    for (const peer of [ec2.Peer.anyIpv4(), ec2.Peer.anyIpv6()]) {
      this.instanceSecurityGroup.addEgressRule(peer, ec2.Port.tcp(443), 'HTTPS to allowed destinations and AWS APIs');
      this.instanceSecurityGroup.addEgressRule(peer, ec2.Port.tcp(80), 'HTTP to allowed destinations');
    }
    this.connections = new ec2.Connections({ securityGroups: [lbSecurityGroup], defaultPort: port });

    const instanceType = props.instanceType ?? new ec2.InstanceType('t4g.small');
    const cpuType =
      instanceType.architecture === ec2.InstanceArchitecture.ARM_64
        ? ec2.AmazonLinuxCpuType.ARM_64
        : ec2.AmazonLinuxCpuType.X86_64;
    const userData = ec2.UserData.forLinux();
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      // The AMI id comes from the public SSM parameter at deploy time: no lookup at synth time. A new
      // AL2023 release changes it, which rolls the proxies on the next deployment.
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType }),
      instanceType,
      userData,
      role: this.role,
      securityGroup: this.instanceSecurityGroup,
      requireImdsv2: true,
      // The proxies run no containers: IMDS answers the instance only.
      httpPutResponseHopLimit: 1,
      associatePublicIpAddress: proxySubnets.public ? true : undefined,
      blockDevices: [
        {
          // The root device of the AL2023 AMIs.
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(16, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'AutoScalingGroup', {
      vpc,
      vpcSubnets: proxySubnets.selection,
      launchTemplate,
      minCapacity: min,
      maxCapacity: max,
      cooldown: Duration.minutes(5),
      // A proxy whose Squid stops answering fails the load balancer's check and is replaced.
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.minutes(5),
      }),
      signals: autoscaling.Signals.waitForMinCapacity({ timeout: SIGNAL_TIMEOUT }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        // Keep every proxy serving when there is room for one more, else all but one.
        minInstancesInService: Math.min(min, max - 1),
        waitOnResourceSignals: true,
        pauseTime: SIGNAL_TIMEOUT,
      }),
    });
    acknowledgeNag(
      this.autoScalingGroup,
      'AwsSolutions-AS3',
      'Scaling events of the proxies stay in the Auto Scaling activity history and CloudTrail; instances are replaced by health checks, not by load',
    );
    userData.addCommands(
      ...renderProxyUserData({
        squidConfig: this.squidConfig,
        port: this.port,
        logGroupName: this.logGroup.logGroupName,
      }),
    );
    userData.addSignalOnExitCommand(this.autoScalingGroup);

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: false,
      vpcSubnets: loadBalancerSubnets,
      crossZoneEnabled: true,
      securityGroups: [lbSecurityGroup],
      deletionProtection: props.deletionProtection,
    });
    acknowledgeNag(this.loadBalancer, 'AwsSolutions-ELB2', NLB_ACCESS_LOG_REASON);
    acknowledgeNag(this.loadBalancer, NIST_RULES.elbLogging, NLB_ACCESS_LOG_REASON);
    const listener = this.loadBalancer.addListener('Listener', { port: this.port, protocol: elbv2.Protocol.TCP });
    acknowledgeNag(
      listener,
      NIST_RULES.elbCertificate,
      'A TCP listener in front of Squid: clients speak plain HTTP to the proxy and tunnel HTTPS with CONNECT, so TLS runs end to end between client and destination; a TLS listener would need an https:// proxy in every client, which Bottlerocket cannot use',
    );
    listener.addTargets('Proxies', {
      port: this.port,
      protocol: elbv2.Protocol.TCP,
      targets: [this.autoScalingGroup],
      healthCheck: {
        protocol: elbv2.Protocol.TCP,
        port: `${this.port}`,
        interval: Duration.seconds(10),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
    });

    this.proxySettings = this.toProxySettings();
  }

  /**
   * The proxy with options, e.g. more NO_PROXY entries:
   * `egressProxy.toProxySettings({ noProxy: ['.corp.example'] })`.
   *
   * @param options extra NO_PROXY entries (and other proxy options)
   */
  public toProxySettings(options: ProxyOptions = {}): ProxySettings {
    // A cluster using these settings waits for the proxies (nodes and the kubectl provider need them at once).
    return ProxySettings.fromHost(this.loadBalancer.loadBalancerDnsName, this.port, options).deployedBy(this);
  }
}

/** A security group peer for a CIDR (IPv6 when it has a colon; tokens are taken as IPv4). */
function peerOf(cidr: string): ec2.IPeer {
  return !Token.isUnresolved(cidr) && cidr.includes(':') ? ec2.Peer.ipv6(cidr) : ec2.Peer.ipv4(cidr);
}
