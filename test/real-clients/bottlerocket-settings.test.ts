/**
 * Check 1b: Bottlerocket user data, read as Bottlerocket reads it: one TOML document (smol-toml, a
 * TOML 1.0.0 parser), not MIME. Managed groups on the EKS AMI carry only [settings.network]; self-managed
 * groups also carry the cluster ([settings.kubernetes]), their taints and labels, and
 * [settings.cloudformation] to signal their Auto Scaling group. The proxy settings must be the
 * cluster's: https-proxy is the proxy as host:port, no-proxy the same composed list as the Amazon Linux
 * nodes' NO_PROXY (the /etc/environment their boothook writes).
 *
 * The environment Bottlerocket derives from these settings (/etc/network/proxy.env) is modelled in
 * support/bottlerocket.ts and fed to Go, curl and Python in no-proxy-resolvers.test.ts and squid.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BOTTLEROCKET_PKI_BUNDLE } from '../../lib/nodes/user-data/bottlerocket';
import { bottlerocketProxyEnv, effectiveSettings, parseSettings } from './support/bottlerocket';
import { allNodeGroups, cleanupSynth, clusterOf, NodeGroup, nodeGroups, roleMaySignal } from './support/examples';
import { generatedEtcEnvironment } from './support/generated';
import { requireCloudInit, requireRoot, requireTools } from './support/proc';
import { ipv4 } from './support/resolvers';

beforeAll(() => {
  requireRoot();
  requireTools('unshare', 'ip', 'mount');
  requireCloudInit();
});
afterAll(() => cleanupSynth());

const bottlerocket = allNodeGroups((g) => g.spec.family === 'BOTTLEROCKET');

test('covers managed and self-managed Bottlerocket', () => {
  expect([...new Set(bottlerocket.map((g) => g.spec.management))].sort()).toEqual(['managed', 'self-managed']);
});

/** Bottlerocket's node-taints map, written down from the settings reference: key -> ["value:Effect"]. */
function taintMap(taints: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of taints) {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(t);
    if (!m) {
      throw new Error(`bad taint ${t}`);
    }
    (out[m[1]] ??= []).push(`${m[2] ?? ''}:${m[3]}`);
  }
  return out;
}

describe.each(bottlerocket.map((g) => [g.label, g] as const))('%s', (_label, g: NodeGroup) => {
  let settings: any;
  /** The NO_PROXY list the Amazon Linux (AL2023) nodes of the same stack get. */
  let alEnv: Record<string, string>;

  beforeAll(() => {
    settings = parseSettings(g);
    const al2023 = nodeGroups(g.d).find((x) => x.spec.family === 'AL2023' && x.format === 'mime');
    if (!al2023) {
      throw new Error(`${g.d.label}: no AL2023 group to compare with`);
    }
    alEnv = generatedEtcEnvironment(al2023);
  });

  test('a TOML document of settings only, with the sections its management needs', () => {
    expect(Object.keys(settings)).toEqual(['settings']);
    // Managed nodes on the EKS AMI: EKS merges [settings.kubernetes] itself.
    const want = g.spec.management === 'managed' ? ['network'] : ['network', 'kubernetes', 'cloudformation'];
    if (g.d.example.caBundleFile !== undefined) {
      want.push('pki');
    }
    expect(Object.keys(settings.settings).sort()).toEqual(want.sort());
  });

  if (g.d.example.caBundleFile !== undefined) {
    test("[settings.pki]: one trusted bundle whose data is the exact PEM of the example's CA file, base64", () => {
      const pem = fs.readFileSync(path.join(__dirname, '..', '..', g.d.example.caBundleFile!), 'utf8');
      expect(Object.keys(settings.settings.pki)).toEqual([BOTTLEROCKET_PKI_BUNDLE]);
      const bundle = settings.settings.pki[BOTTLEROCKET_PKI_BUNDLE];
      expect(bundle.trusted).toBe(true);
      expect(Buffer.from(bundle.data, 'base64').toString('utf8')).toBe(pem);
    });
  }

  test("[settings.network]: https-proxy is the proxy as host:port, no-proxy is the cluster's NO_PROXY list", () => {
    const network = settings.settings.network;
    expect(Object.keys(network).sort()).toEqual(['https-proxy', 'no-proxy']);
    // No scheme: the documented form is host[:port] (settings reference, network.toml).
    expect(network['https-proxy']).toBe(new URL(alEnv.HTTPS_PROXY).host);
    expect(network['https-proxy']).toBe('proxy.corp.example:3128');
    expect(Array.isArray(network['no-proxy'])).toBe(true);
    expect(network['no-proxy']).toEqual(alEnv.NO_PROXY.split(','));
  });

  if (g.spec.management === 'self-managed') {
    test("[settings.kubernetes]: the cluster, resolved; the group's taints and labels", () => {
      const c = clusterOf(g.d);
      const { 'node-taints': taints, 'node-labels': labels, ...cluster } = settings.settings.kubernetes;
      expect(cluster).toEqual({
        'api-server': c.endpoint,
        'cluster-certificate': c.certificateAuthority,
        'cluster-name': c.name,
        'cluster-dns-ip': ipv4(c.serviceCidr, 10),
      });
      expect(taints).toEqual(g.spec.taints ? taintMap(g.spec.taints) : undefined);
      expect(labels).toEqual(g.spec.labels);
    });

    test("[settings.cloudformation]: signal this group's Auto Scaling group, which waits for it", () => {
      expect(settings.settings.cloudformation).toEqual({
        'should-signal': true,
        'stack-name': g.d.example.stackId,
        'logical-resource-id': g.owner.logicalId,
      });
      expect(g.owner.type).toBe('AWS::AutoScaling::AutoScalingGroup');
      expect(g.d.template.Resources[g.owner.logicalId].CreationPolicy?.ResourceSignal?.Count).toBeGreaterThanOrEqual(1);
      // The instance role may send it (cfn-signal / cfsignal sign with the role's credentials).
      expect(roleMaySignal(g)).toBe(true);
    });
  }

  test('/etc/network/proxy.env as Bottlerocket renders it: HTTPS only, the list, then localhost, 127.0.0.1, the API server, .cluster.local', () => {
    const apiHost = new URL(clusterOf(g.d).endpoint).hostname;
    const env = bottlerocketProxyEnv(
      effectiveSettings(settings, g.spec.management === 'managed' ? clusterOf(g.d).endpoint : undefined),
    );
    const noProxy = [
      ...settings.settings.network['no-proxy'],
      'localhost',
      '127.0.0.1',
      apiHost,
      '.cluster.local',
    ].join(',');
    expect(env).toEqual({
      HTTPS_PROXY: 'proxy.corp.example:3128',
      https_proxy: 'proxy.corp.example:3128',
      NO_PROXY: noProxy,
      no_proxy: noProxy,
    });
  });
});

describe('the proxy.env model (support/bottlerocket.ts) against the template it models', () => {
  test('the settings reference example, with and without the kubernetes settings', () => {
    const network = { 'https-proxy': '1.2.3.4:8080', 'no-proxy': ['localhost', '127.0.0.1'] };
    expect(bottlerocketProxyEnv({ settings: { network } })).toEqual({
      HTTPS_PROXY: '1.2.3.4:8080',
      https_proxy: '1.2.3.4:8080',
      NO_PROXY: 'localhost,127.0.0.1,localhost,127.0.0.1,.cluster.local',
      no_proxy: 'localhost,127.0.0.1,localhost,127.0.0.1,.cluster.local',
    });
    const k8s = { 'api-server': 'https://ABC.gr7.us-west-2.eks.amazonaws.com', 'cluster-domain': 'corp.local' };
    expect(bottlerocketProxyEnv({ settings: { network: { 'no-proxy': ['.x'] }, kubernetes: k8s } })).toEqual({
      NO_PROXY: '.x,localhost,127.0.0.1,abc.gr7.us-west-2.eks.amazonaws.com,.corp.local',
      no_proxy: '.x,localhost,127.0.0.1,abc.gr7.us-west-2.eks.amazonaws.com,.corp.local',
    });
  });
});
