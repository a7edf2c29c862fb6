/**
 * AWS China (seed 003): a private cluster in Ningxia (cn-northwest-1) whose nodes reach the internet
 * through a Squid proxy in the VPC. The region is concrete so that endpoint service names get the
 * cn.com.amazonaws. prefix and NO_PROXY the amazonaws.com.cn suffix; the availability zones come from
 * the committed cdk.context.json, so no lookup (and no credential) is needed.
 */
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { PrivateEksCluster, ProxySettings } from '../../lib';
import { acknowledgeProxySubnetRoutes, addFlowLogs } from '../vpc';

/** The account and region of the example; the account is a placeholder matching cdk.context.json. */
export const CHINA_ENV = { account: '111122223333', region: 'cn-northwest-1' };

export class ChinaRegionStack extends Stack {
  public readonly cluster: PrivateEksCluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { env: CHINA_ENV, ...props });

    const vpc = new ec2.Vpc(this, 'Vpc', {
      // The default security group allows all traffic between its members: take every rule away
      // (EKS best practices; cdk-nag NIST.800.53.R5-VPCDefaultSecurityGroupClosed).
      restrictDefaultSecurityGroup: true,
      ipAddresses: ec2.IpAddresses.cidr('192.168.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        // Where the Squid proxy runs (seed 003); the nodes never get a public address. No public address
        // by default either: give the proxy's instance one explicitly (associatePublicIpAddress), so that
        // nothing else placed here gets one (cdk-nag NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled).
        { name: 'proxy', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'nodes', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 19 },
      ],
    });
    // Flow logs to CloudWatch Logs: a private network is audited (cdk-nag AwsSolutions-VPC7).
    addFlowLogs(vpc);
    acknowledgeProxySubnetRoutes(vpc);

    this.cluster = new PrivateEksCluster(this, 'Cluster', {
      vpc,
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: new KubectlV35Layer(this, 'Kubectl'),
      proxy: ProxySettings.fromUrl('http://192.168.0.10:3128'),
    });
    this.cluster.addProxiedNodeGroup('Workers', {
      instanceTypes: [new ec2.InstanceType('m6i.large')],
      minSize: 2,
    });
  }
}

if (require.main === module) {
  const app = new App();
  new ChinaRegionStack(app, 'PrivateEksChinaExample');
  app.synth();
}
