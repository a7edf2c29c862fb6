import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AuthenticatedProxyStack } from '../../examples/authenticated-proxy/app';
import { ChinaRegionStack } from '../../examples/china-region/app';
import { ClosedNetworkStack } from '../../examples/closed-network/app';
import { EgressProxyStack } from '../../examples/egress-proxy/app';
import { Al2Stack, NodeFamiliesStack } from '../../examples/node-families/app';
import { ProxyClusterStack } from '../../examples/proxy-cluster/app';
import { testApp } from './cdk';

/** Every example app, by folder name, built in a test App (no asset staging). */
export const EXAMPLES: Record<string, () => Stack> = {
  'proxy-cluster': () => new ProxyClusterStack(testApp(), 'PrivateEksProxyExample'),
  'closed-network': () => new ClosedNetworkStack(testApp(), 'PrivateEksClosedNetworkExample'),
  'china-region': () => new ChinaRegionStack(testApp(), 'PrivateEksChinaExample'),
  'authenticated-proxy': () => new AuthenticatedProxyStack(testApp(), 'PrivateEksAuthenticatedProxyExample'),
  'egress-proxy': () => new EgressProxyStack(testApp(), 'PrivateEksEgressProxyExample'),
  'node-families': () => new NodeFamiliesStack(testApp(), 'PrivateEksNodeFamiliesExample'),
  'node-families-al2': () => new Al2Stack(testApp(), 'PrivateEksAl2Example'),
};

const cache = new Map<string, Template>();

/** The synthesized template of an example, built once per test file. */
export function exampleTemplate(name: string): Template {
  if (!cache.has(name)) {
    cache.set(name, Template.fromStack(EXAMPLES[name]()));
  }
  return cache.get(name)!;
}
