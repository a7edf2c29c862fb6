/**
 * Closed network (seed 004): no proxy and no internet path at all. Everything nodes and the CDK
 * providers need comes through VPC endpoints, and the S3 gateway endpoint allows only the buckets
 * nodes use plus one bucket of the team's own.
 *
 * Env-agnostic: synthesizes without AWS credentials.
 */
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { EndpointPresets, EndpointSet, PrivateEksCluster, PullThroughCache, PullThroughCacheUpstream } from '../../lib';
import { addFlowLogs } from '../vpc';

export class ClosedNetworkStack extends Stack {
  public readonly cluster: PrivateEksCluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      // The default security group allows all traffic between its members: take every rule away
      // (EKS best practices; cdk-nag NIST.800.53.R5-VPCDefaultSecurityGroupClosed).
      restrictDefaultSecurityGroup: true,
      ipAddresses: ec2.IpAddresses.cidr('172.25.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'workers', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 18 }],
    });
    // Flow logs to CloudWatch Logs: a private network is audited (cdk-nag AwsSolutions-VPC7).
    addFlowLogs(vpc);

    // The EKS private-cluster guide's full list, Session Manager included, so nodes can be reached
    // without SSH or a bastion.
    const endpoints = new EndpointSet(this, 'Endpoints', {
      vpc,
      services: EndpointPresets.privateClusterGuide(),
      additionalS3Buckets: ['closed-network-artifacts-example'],
    });

    // Public images without internet: ECR fetches them on AWS's side, the nodes pull them from the
    // account's registry through the ECR endpoints above. Amazon Linux 2023 nodes mirror registry.k8s.io and
    // Quay in containerd, so workloads keep their image names; ECR Public images are named with imageUri.
    // (Docker Hub, GHCR and GitLab take a credentials secret named ecr-pullthroughcache/...:
    // PullThroughCacheUpstream.dockerHub(secret).)
    const cache = new PullThroughCache(this, 'ImageCache', {
      upstreams: [
        PullThroughCacheUpstream.ecrPublic(),
        PullThroughCacheUpstream.kubernetes(),
        PullThroughCacheUpstream.quay(),
      ],
    });

    this.cluster = new PrivateEksCluster(this, 'Cluster', {
      vpc,
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: new KubectlV35Layer(this, 'Kubectl'),
      endpoints,
      imageCache: cache,
    });
    this.cluster.addProxiedNodeGroup('Workers', {
      instanceTypes: [new ec2.InstanceType('m7g.large')],
      minSize: 2,
    });

    new CfnOutput(this, 'CachedImageExample', {
      description: 'A public image as the workloads of this cluster name it',
      value: cache.imageUri('public.ecr.aws/nginx/nginx:1.27'),
    });
  }
}

if (require.main === module) {
  const app = new App();
  new ClosedNetworkStack(app, 'PrivateEksClosedNetworkExample');
  app.synth();
}
