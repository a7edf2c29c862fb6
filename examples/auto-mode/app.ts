/**
 * EKS Auto Mode behind the corporate proxy: no node groups. Auto Mode nodes start on the cluster's own
 * NodeClass, which carries the proxy (HTTPS only: the NodeClass has no HTTP proxy field) and a NO_PROXY
 * compacted to the NodeClass limits; two NodePools (system and general purpose) run on it. The built-in
 * node pools stay off, so no node starts without the proxy.
 *
 * Env-agnostic: synthesizes without AWS credentials.
 */
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { PrivateEksCluster, ProxySettings } from '../../lib';
import { acknowledgeCommercialOnly, isolatedExampleVpc } from '../vpc';

export class AutoModeStack extends Stack {
  public readonly cluster: PrivateEksCluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);

    this.cluster = new PrivateEksCluster(this, 'Cluster', {
      vpc: isolatedExampleVpc(this),
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: new KubectlV35Layer(this, 'Kubectl'),
      proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', { noProxy: ['.corp.example'] }),
      autoMode: {},
    });
    acknowledgeCommercialOnly(this.cluster);
  }
}

if (require.main === module) {
  const app = new App();
  new AutoModeStack(app, 'PrivateEksAutoModeExample');
  app.synth();
}
