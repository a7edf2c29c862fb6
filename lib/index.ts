export { PrivateEksErrors } from './errors';
export { ProxySettings, ProxyOptions } from './proxy/proxy-settings';
export { ProxyCredentials, ProxyCredentialsOptions } from './credentials/proxy-credentials';
export { ProxySecretReference } from './credentials/secret-reference';
export { EndpointService, EndpointPresets } from './endpoints/services';
export { EndpointSet, EndpointSetProps } from './endpoints/endpoint-set';
export { NodeFamily } from './nodes/node-family';
export { NodeOptions } from './nodes/node-options';
export { INodeContext } from './nodes/node-context';
export { NodeProxy, ClusterBootstrap, RegistryMirror, RegistryMirrors } from './nodes/user-data/family';
export { ProxiedNodeGroup, ProxiedNodeGroupOptions, ProxiedNodeGroupProps } from './nodes/proxied-node-group';
export {
  SelfManagedNodeGroup,
  SelfManagedNodeGroupOptions,
  SelfManagedNodeGroupProps,
} from './nodes/self-managed-node-group';
export { PrivateEksCluster, PrivateEksClusterProps } from './cluster/private-eks-cluster';
export { ProxiedDaemonSet } from './manifests/proxy-manifests';
export { AddonProfile } from './addons/catalogue';
export { ManagedAddonOptions } from './addons/managed-addon';
export { NamespaceProxyEnvironment } from './manifests/proxy-environment';
export { EgressProxy, EgressProxyProps } from './egress/egress-proxy';
export {
  PullThroughCache,
  PullThroughCacheProps,
  PullThroughCacheUpstream,
  PullThroughCacheUpstreamOptions,
} from './images/pull-through-cache';
export { PreflightOptions } from './preflight/preflight';
export { AutoModeOptions, AutoModeNodes, AutoModeNodesProps } from './automode/auto-mode';
export { Karpenter, KarpenterOptions, KarpenterProps } from './karpenter/karpenter';
export { KARPENTER_CHART_REPOSITORY, KARPENTER_CHART_VERSION } from './karpenter/helm-values';
