/**
 * Day two (issue 16): a proxied private cluster with EKS managed add-ons from the catalogue and a
 * workload of its own that reads the proxy.
 *
 * - vpc-cni and kube-proxy become managed add-ons; the proxy patch of aws-node and kube-proxy depends on
 *   them and runs again whenever their version or configuration changes;
 * - coredns and the EKS Pod Identity agent: the agent's eks-auth endpoint joins the cluster's
 *   EndpointSet (its host joins NO_PROXY), so the agent needs no proxy;
 * - a Deployment in its own namespace reads the proxy ConfigMap that addProxyEnvironment writes there.
 *
 * Env-agnostic: synthesizes without AWS credentials.
 */
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { AddonProfile, PrivateEksCluster, ProxySettings } from '../../lib';
import { acknowledgeCommercialOnly, isolatedExampleVpc } from '../vpc';

/** The namespace of the example's own workload. */
export const APP_NAMESPACE = 'apps';

export class AddonsStack extends Stack {
  public readonly cluster: PrivateEksCluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);

    const vpc = isolatedExampleVpc(this);

    this.cluster = new PrivateEksCluster(this, 'Cluster', {
      vpc,
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: new KubectlV35Layer(this, 'Kubectl'),
      proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', { noProxy: ['.corp.example'] }),
      addons: [
        { addon: AddonProfile.VPC_CNI },
        { addon: AddonProfile.KUBE_PROXY },
        { addon: AddonProfile.COREDNS },
        { addon: AddonProfile.POD_IDENTITY_AGENT },
      ],
      // Change it (a date) and redeploy after updating vpc-cni or kube-proxy outside this stack.
      proxyPatchRevision: '2026-12-03',
    });
    acknowledgeCommercialOnly(this.cluster);
    this.cluster.addProxiedNodeGroup('Workers', {
      instanceTypes: [new ec2.InstanceType('m7i.large')],
      minSize: 2,
    });

    // A workload of our own: its namespace, the proxy ConfigMap there, and a Deployment reading it.
    const namespace = this.cluster.cluster.addManifest('AppNamespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: APP_NAMESPACE },
    });
    const proxyEnvironment = this.cluster.addProxyEnvironment(APP_NAMESPACE);
    proxyEnvironment.configMap.node.addDependency(namespace);
    const labels = { 'app.kubernetes.io/name': 'proxy-check' };
    const deployment = this.cluster.cluster.addManifest('AppDeployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'proxy-check', namespace: APP_NAMESPACE, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: proxyEnvironment.podAnnotations() },
          spec: {
            containers: [
              {
                name: 'proxy-check',
                image: 'public.ecr.aws/amazonlinux/amazonlinux:2023',
                // Shows the proxy variables it got, then idles: `kubectl exec` into it to try a request.
                command: ['sh', '-c', 'env | grep -i _proxy; exec sleep infinity'],
                envFrom: proxyEnvironment.envFrom(),
              },
            ],
          },
        },
      },
    });
    deployment.node.addDependency(proxyEnvironment.dependable);
  }
}

if (require.main === module) {
  const app = new App();
  new AddonsStack(app, 'PrivateEksAddonsExample');
  app.synth();
}
