/**
 * Main example (seeds 000 and 001): a private EKS cluster in a VPC whose only way out is a corporate
 * HTTP proxy, reached over the private network. AWS services are reached through VPC endpoints;
 * public registries (Docker Hub, quay.io) through the proxy.
 *
 * Env-agnostic: synthesizes without AWS credentials.
 */
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { PreflightOptions, PrivateEksCluster, ProxySettings } from '../../lib';
import { acknowledgeCommercialOnly, isolatedExampleVpc } from '../vpc';

/** The example's stack props: the preflight's options, which the benchmark turns off to measure it. */
export interface ProxyClusterStackProps extends StackProps {
  readonly preflight?: PreflightOptions;
}

export class ProxyClusterStack extends Stack {
  public readonly cluster: PrivateEksCluster;

  constructor(scope: Construct, id: string, props: ProxyClusterStackProps = {}) {
    super(scope, id, props);

    const vpc = isolatedExampleVpc(this);

    this.cluster = new PrivateEksCluster(this, 'Cluster', {
      vpc,
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: new KubectlV35Layer(this, 'Kubectl'),
      proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', { noProxy: ['.corp.example'] }),
      preflight: props.preflight,
    });
    acknowledgeCommercialOnly(this.cluster);
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
