/**
 * Main example (seeds 000 and 001): a private EKS cluster in a VPC whose only way out is a corporate
 * HTTP proxy, reached over the private network. AWS services are reached through VPC endpoints;
 * public registries (Docker Hub, quay.io) through the proxy.
 *
 * Env-agnostic: synthesizes without AWS credentials.
 */
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { Annotations, App, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { PrivateEksCluster, ProxySettings } from '../../lib';
import { addFlowLogs } from '../vpc';

export class ProxyClusterStack extends Stack {
  public readonly cluster: PrivateEksCluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);

    // No NAT, no internet gateway: the subnets are isolated; the proxy is reached through the
    // corporate network (Transit Gateway or Direct Connect), outside this stack.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      // The default security group allows all traffic between its members: take every rule away
      // (EKS best practices; cdk-nag NIST.800.53.R5-VPCDefaultSecurityGroupClosed).
      restrictDefaultSecurityGroup: true,
      ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
    });
    // Flow logs to CloudWatch Logs: a private network is audited (cdk-nag AwsSolutions-VPC7).
    addFlowLogs(vpc);

    this.cluster = new PrivateEksCluster(this, 'Cluster', {
      vpc,
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: new KubectlV35Layer(this, 'Kubectl'),
      proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', { noProxy: ['.corp.example'] }),
    });
    // Env-agnostic on purpose (it synthesizes anywhere, without credentials) and meant for the commercial
    // partition, whose endpoint service names the library uses when the region is a token. For the China
    // regions, set env.region instead (see examples/china-region) and drop this acknowledgement.
    Annotations.of(this.cluster).acknowledgeWarning(
      'cdk-private-eks:endpoint-region-token',
      'This example deploys to commercial AWS regions only; aws-cn stacks set env.region (examples/china-region).',
    );
    this.cluster.addProxiedNodeGroup('Workers', {
      instanceTypes: [new ec2.InstanceType('m7i.large')],
      minSize: 2,
    });
  }
}

if (require.main === module) {
  const app = new App();
  new ProxyClusterStack(app, 'PrivateEksProxyExample');
  app.synth();
}
