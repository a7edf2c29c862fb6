/**
 * Karpenter behind the corporate proxy. A small managed node group runs the Karpenter controller (installed
 * from its chart on public ECR, through the proxy, with the proxy ConfigMap of kube-system); Karpenter launches
 * every other node from two EC2NodeClasses, Amazon Linux 2023 and Bottlerocket, whose user data carries the
 * proxy as the node groups' does. The controller uses EKS Pod Identity, and an SQS queue with Karpenter's
 * EventBridge rules gives it interruption notices. The VPC endpoints Karpenter documents for private clusters
 * (EC2, ECR, S3, STS, SSM, SQS, EKS, and EKS Auth for Pod Identity) are created with the cluster.
 *
 * Env-agnostic: synthesizes without AWS credentials.
 */
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { NodeFamily, PrivateEksCluster, ProxySettings } from '../../lib';
import { acknowledgeCommercialOnly, isolatedExampleVpc } from '../vpc';

export class KarpenterStack extends Stack {
  public readonly cluster: PrivateEksCluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);

    this.cluster = new PrivateEksCluster(this, 'Cluster', {
      vpc: isolatedExampleVpc(this),
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: new KubectlV35Layer(this, 'Kubectl'),
      proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', { noProxy: ['.corp.example'] }),
      karpenter: {
        nodeFamilies: [NodeFamily.AMAZON_LINUX_2023, NodeFamily.BOTTLEROCKET],
      },
    });
    // Two nodes for the controller's two replicas (the chart spreads them over hosts).
    this.cluster.addProxiedNodeGroup('Controllers', { minSize: 2 });
    acknowledgeCommercialOnly(this.cluster);
  }
}

if (require.main === module) {
  const app = new App();
  new KarpenterStack(app, 'PrivateEksKarpenterExample');
  app.synth();
}
