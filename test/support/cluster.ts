/** A PrivateEksCluster behind a proxy in a fresh us-east-1 test stack: what most node tests start from. */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { PrivateEksCluster, PrivateEksClusterProps, ProxySettings } from '../../lib';
import { fakeKubectlLayer, isolatedVpc, testStack } from './cdk';

export function proxiedCluster(
  props: Partial<PrivateEksClusterProps> | ((stack: Stack, vpc: ec2.Vpc) => Partial<PrivateEksClusterProps>) = {},
) {
  const stack = testStack('us-east-1');
  const vpc = isolatedVpc(stack);
  const cluster = new PrivateEksCluster(stack, 'Cluster', {
    vpc,
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128'),
    ...(typeof props === 'function' ? props(stack, vpc) : props),
  });
  return { stack, vpc, cluster };
}
