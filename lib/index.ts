export { PrivateEksErrors } from './errors';
export { ProxySettings, ProxyOptions } from './proxy/proxy-settings';
export { ProxyCredentials, ProxyCredentialsOptions } from './proxy/proxy-credentials';
export { EndpointService, EndpointPresets } from './endpoints/services';
export { EndpointSet, EndpointSetProps } from './endpoints/endpoint-set';
export { NodeFamily } from './nodes/node-family';
export { NodeOptions } from './nodes/node-options';
export { ProxiedNodeGroup, ProxiedNodeGroupOptions, ProxiedNodeGroupProps } from './nodes/proxied-node-group';
export {
  SelfManagedNodeGroup,
  SelfManagedNodeGroupOptions,
  SelfManagedNodeGroupProps,
} from './nodes/self-managed-node-group';
export { PrivateEksCluster, PrivateEksClusterProps, ProxiedDaemonSet } from './cluster/private-eks-cluster';
export { EgressProxy, EgressProxyProps } from './egress/egress-proxy';
