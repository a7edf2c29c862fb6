/**
 * A private EKS cluster behind a TLS-inspecting corporate proxy: the proxy terminates HTTPS with
 * certificates signed by the company's own CA (corp-root-ca.pem, a throwaway stand-in). One setting,
 * `caBundleFile`, makes everything that goes through the proxy trust that CA in addition to the public
 * roots: Amazon Linux 2023 and Bottlerocket nodes (containerd, kubelet, dnf, the SSM agent), the kubectl
 * provider (its handler, kubectl, helm, the AWS CLI) and the aws-node and kube-proxy pods.
 *
 * The default endpoints include EC2: nodeadm's first EC2 call runs before the boothook installs the CA,
 * so it goes to the endpoint (in NO_PROXY), not through the proxy.
 *
 * Env-agnostic: synthesizes without AWS credentials.
 */
import * as path from 'path';
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { NodeFamily, PrivateEksCluster, ProxySettings } from '../../lib';
import { acknowledgeCommercialOnly, isolatedExampleVpc } from '../vpc';

export class TlsInspectingProxyStack extends Stack {
  public readonly cluster: PrivateEksCluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);

    this.cluster = new PrivateEksCluster(this, 'Cluster', {
      vpc: isolatedExampleVpc(this),
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: new KubectlV35Layer(this, 'Kubectl'),
      proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', {
        noProxy: ['.corp.example'],
        caBundleFile: path.join(__dirname, 'corp-root-ca.pem'),
      }),
    });
    acknowledgeCommercialOnly(this.cluster);
    this.cluster.addProxiedNodeGroup('Workers', { instanceTypes: [new ec2.InstanceType('m7i.large')], minSize: 2 });
    this.cluster.addProxiedNodeGroup('Rockets', {
      family: NodeFamily.BOTTLEROCKET,
      instanceTypes: [new ec2.InstanceType('m7i.large')],
      minSize: 1,
    });
  }
}

if (require.main === module) {
  const app = new App();
  new TlsInspectingProxyStack(app, 'PrivateEksTlsInspectingProxyExample');
  app.synth();
}
