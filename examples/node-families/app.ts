/**
 * Every node family, managed and self-managed, behind one proxy (seeds 000, 001 and 004):
 *
 * - `PrivateEksNodeFamiliesExample` (Kubernetes 1.35): managed Amazon Linux 2023 (the default),
 *   managed Bottlerocket, managed AL2023 on a pinned AMI (joins without the EKS API), and self-managed
 *   AL2023 and Bottlerocket groups that signal CloudFormation once kubelet is healthy.
 * - `PrivateEksAl2Example` (Kubernetes 1.32, the last version with AL2 AMIs): managed and self-managed
 *   Amazon Linux 2, for clusters that have not moved yet (synth warns: AL2 reached end of support).
 *
 * Env-agnostic: synthesizes without AWS credentials (AMIs come from public SSM parameters at deploy time).
 */
import { KubectlV32Layer } from '@aws-cdk/lambda-layer-kubectl-v32';
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { EndpointPresets, EndpointService, NodeFamily, PrivateEksCluster, ProxySettings } from '../../lib';
import { isolatedExampleVpc } from '../vpc';

function proxiedCluster(
  scope: Construct,
  version: eks.KubernetesVersion,
  kubectlLayer: lambda.ILayerVersion,
): PrivateEksCluster {
  return new PrivateEksCluster(scope, 'Cluster', {
    vpc: isolatedExampleVpc(scope),
    version,
    kubectlLayer,
    proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', { noProxy: ['.corp.example'] }),
    // CloudFormation too: self-managed nodes signal it directly instead of through the proxy.
    endpointServices: [...EndpointPresets.minimal(), EndpointService.CLOUDFORMATION],
  });
}

export class NodeFamiliesStack extends Stack {
  public readonly cluster: PrivateEksCluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.cluster = proxiedCluster(this, eks.KubernetesVersion.V1_35, new KubectlV35Layer(this, 'Kubectl'));
    const large = [new ec2.InstanceType('m7i.large')];
    this.cluster.addProxiedNodeGroup('Al2023', { instanceTypes: large });
    this.cluster.addProxiedNodeGroup('Bottlerocket', {
      family: NodeFamily.BOTTLEROCKET,
      instanceTypes: [new ec2.InstanceType('m7g.large')],
    });
    this.cluster.addProxiedNodeGroup('Pinned', {
      instanceTypes: large,
      // A golden AMI built from the EKS AL2023 AMI: nodes join without calling the EKS API.
      machineImage: ec2.MachineImage.fromSsmParameter('/golden-images/eks-1.35-al2023'),
    });
    this.cluster.addSelfManagedNodeGroup('SelfManagedAl2023', {
      instanceTypes: large,
      labels: { pool: 'self-managed' },
    });
    this.cluster.addSelfManagedNodeGroup('SelfManagedBottlerocket', {
      family: NodeFamily.BOTTLEROCKET,
      instanceTypes: large,
      taints: [{ key: 'dedicated', value: 'batch', effect: eks.TaintEffect.NO_SCHEDULE }],
    });
  }
}

export class Al2Stack extends Stack {
  public readonly cluster: PrivateEksCluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.cluster = proxiedCluster(this, eks.KubernetesVersion.V1_32, new KubectlV32Layer(this, 'Kubectl'));
    this.cluster.addProxiedNodeGroup('Al2', {
      family: NodeFamily.AMAZON_LINUX_2,
      instanceTypes: [new ec2.InstanceType('m6i.large')],
    });
    this.cluster.addSelfManagedNodeGroup('SelfManagedAl2', {
      family: NodeFamily.AMAZON_LINUX_2,
      instanceTypes: [new ec2.InstanceType('m6i.large')],
    });
  }
}

if (require.main === module) {
  const app = new App();
  new NodeFamiliesStack(app, 'PrivateEksNodeFamiliesExample');
  new Al2Stack(app, 'PrivateEksAl2Example');
  app.synth();
}
