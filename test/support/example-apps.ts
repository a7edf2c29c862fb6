/**
 * The one registry of the example apps (examples/<folder>/app.ts): every suite that builds them (snapshots,
 * cdk-nag, the real-client suite) takes them from here, with the stack id each app's own `cdk synth` uses.
 * test/examples.test.ts checks that it names every folder and every stack the apps create.
 */
import { App, Stack } from 'aws-cdk-lib';
import { AddonsStack } from '../../examples/addons/app';
import { AuthenticatedProxyStack } from '../../examples/authenticated-proxy/app';
import { AutoModeStack } from '../../examples/auto-mode/app';
import { ChinaRegionStack } from '../../examples/china-region/app';
import { KarpenterStack } from '../../examples/karpenter/app';
import { ClosedNetworkStack } from '../../examples/closed-network/app';
import { EgressProxyStack } from '../../examples/egress-proxy/app';
import { Al2Stack, NodeFamiliesStack } from '../../examples/node-families/app';
import { ProxyClusterStack } from '../../examples/proxy-cluster/app';
import { TlsInspectingProxyStack } from '../../examples/tls-inspecting-proxy/app';

/** The key of an example stack: its folder, or folder-variant when the folder's app creates several. */
export type ExampleKey =
  | 'proxy-cluster'
  | 'closed-network'
  | 'china-region'
  | 'authenticated-proxy'
  | 'egress-proxy'
  | 'node-families'
  | 'node-families-al2'
  | 'addons'
  | 'tls-inspecting-proxy'
  | 'auto-mode'
  | 'karpenter';

export interface ExampleApp {
  readonly key: ExampleKey;
  /** The folder under examples/. */
  readonly folder: string;
  /** The stack id the example's own app uses. */
  readonly stackId: string;
  /** Add the example's stack to an app, under its own stack id. */
  readonly build: (app: App) => Stack;
}

function example(key: ExampleKey, folder: string, stackId: string, make: (app: App, id: string) => Stack): ExampleApp {
  return { key, folder, stackId, build: (app) => make(app, stackId) };
}

export const EXAMPLE_APPS: readonly ExampleApp[] = [
  example('proxy-cluster', 'proxy-cluster', 'PrivateEksProxyExample', (a, id) => new ProxyClusterStack(a, id)),
  example(
    'closed-network',
    'closed-network',
    'PrivateEksClosedNetworkExample',
    (a, id) => new ClosedNetworkStack(a, id),
  ),
  example('china-region', 'china-region', 'PrivateEksChinaExample', (a, id) => new ChinaRegionStack(a, id)),
  example(
    'authenticated-proxy',
    'authenticated-proxy',
    'PrivateEksAuthenticatedProxyExample',
    (a, id) => new AuthenticatedProxyStack(a, id),
  ),
  example('egress-proxy', 'egress-proxy', 'PrivateEksEgressProxyExample', (a, id) => new EgressProxyStack(a, id)),
  example('node-families', 'node-families', 'PrivateEksNodeFamiliesExample', (a, id) => new NodeFamiliesStack(a, id)),
  example('node-families-al2', 'node-families', 'PrivateEksAl2Example', (a, id) => new Al2Stack(a, id)),
  example('addons', 'addons', 'PrivateEksAddonsExample', (a, id) => new AddonsStack(a, id)),
  example(
    'tls-inspecting-proxy',
    'tls-inspecting-proxy',
    'PrivateEksTlsInspectingProxyExample',
    (a, id) => new TlsInspectingProxyStack(a, id),
  ),
  example('auto-mode', 'auto-mode', 'PrivateEksAutoModeExample', (a, id) => new AutoModeStack(a, id)),
  example('karpenter', 'karpenter', 'PrivateEksKarpenterExample', (a, id) => new KarpenterStack(a, id)),
];

/** One example by key. */
export function exampleApp(key: ExampleKey): ExampleApp {
  const found = EXAMPLE_APPS.find((e) => e.key === key);
  if (!found) {
    throw new Error(`no example ${key} in test/support/example-apps.ts`);
  }
  return found;
}
