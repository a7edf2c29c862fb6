/**
 * Egress proxy (seeds 003 and 000): a team without a corporate proxy runs its own. Squid on two or more
 * Amazon Linux 2023 instances in the public subnets, behind an internal Network Load Balancer in the
 * nodes' subnets, allows the regional AWS APIs nodes need plus the public registries listed here, and
 * refuses everything else. The nodes stay in isolated subnets; the proxies are the only way out.
 *
 * Only the endpoints a proxy cannot replace are created: Lambda and the S3 gateway, for CDK's kubectl
 * provider framework function, which never gets the proxy.
 *
 * Env-agnostic: synthesizes without AWS credentials.
 */
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { EgressProxy, EndpointService, PrivateEksCluster } from '../../lib';
import { acknowledgeProxySubnetRoutes, addFlowLogs } from '../vpc';

export class EgressProxyStack extends Stack {
  public readonly egressProxy: EgressProxy;
  public readonly cluster: PrivateEksCluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      // The default security group allows all traffic between its members: take every rule away
      // (EKS best practices; cdk-nag NIST.800.53.R5-VPCDefaultSecurityGroupClosed).
      restrictDefaultSecurityGroup: true,
      ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        // For the proxies only: nothing else is placed here.
        // No public address by default: the proxies' launch template asks for one, nothing else gets one
        // (cdk-nag NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled).
        { name: 'proxies', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 26, mapPublicIpOnLaunch: false },
        { name: 'nodes', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
      ],
    });
    // Flow logs to CloudWatch Logs: a private network is audited (cdk-nag AwsSolutions-VPC7).
    addFlowLogs(vpc);
    acknowledgeProxySubnetRoutes(vpc);

    this.egressProxy = new EgressProxy(this, 'EgressProxy', {
      vpc,
      // The access log under a customer key (cdk-nag NIST.800.53.R5-CloudWatchLogGroupEncrypted); the
      // construct gives CloudWatch Logs the use of it in the key policy.
      logEncryptionKey: new kms.Key(this, 'ProxyLogKey', {
        enableKeyRotation: true,
        description: 'Egress proxy access log',
      }),
      // Docker Hub (registry-1.docker.io, auth.docker.io, and its layer CDN under .docker.io) and quay.io.
      // registry-1.docker.io is already covered by .docker.io: the proxy lists it once.
      allowedDomains: ['.docker.io', 'registry-1.docker.io', '.quay.io'],
    });
    Validations.of(this.egressProxy.loadBalancer).acknowledge({
      id: 'NIST.800.53.R5-ELBDeletionProtectionEnabled',
      reason: 'An example to deploy and destroy; a long-lived proxy sets deletionProtection: true',
    });

    this.cluster = new PrivateEksCluster(this, 'Cluster', {
      vpc,
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: new KubectlV35Layer(this, 'Kubectl'),
      proxy: this.egressProxy.proxySettings,
      endpointServices: [EndpointService.LAMBDA, EndpointService.S3],
    });
    this.cluster.addProxiedNodeGroup('Workers', {
      instanceTypes: [new ec2.InstanceType('m7g.large')],
      minSize: 2,
    });
  }
}

if (require.main === module) {
  const app = new App();
  new EgressProxyStack(app, 'PrivateEksEgressProxyExample');
  app.synth();
}
