import { Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { PrivateEksCluster, PullThroughCache, PullThroughCacheUpstream } from '../../lib';
import { fakeKubectlLayer, isolatedVpc } from './cdk';

/** A cluster whose nodes pull through an ECR pull through cache of ECR Public, registry.k8s.io and Quay. */
export function clusterWithImageCache(
  stack: Stack,
  version = eks.KubernetesVersion.V1_35,
): { cache: PullThroughCache; cluster: PrivateEksCluster } {
  const cache = new PullThroughCache(stack, 'Cache', {
    upstreams: [
      PullThroughCacheUpstream.ecrPublic(),
      PullThroughCacheUpstream.kubernetes(),
      PullThroughCacheUpstream.quay(),
    ],
  });
  const cluster = new PrivateEksCluster(stack, 'Cluster', {
    vpc: isolatedVpc(stack),
    version,
    kubectlLayer: fakeKubectlLayer(stack),
    imageCache: cache,
  });
  return { cache, cluster };
}
