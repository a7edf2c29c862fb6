/**
 * The compact NO_PROXY (lib/proxy/no-proxy-compact.ts, for an Auto Mode NodeClass) against the full one,
 * both read by Go's own net/http (ProxyFromEnvironment, the Go probe; one process per list):
 * - every proxied example: the full list of its proxy ConfigMap and its most compact exact form route
 *   every host of the host table (support/resolvers.ts `probes`) and hosts made from each entry (the
 *   name, a subdomain, with and without ports; both ends of each CIDR and the addresses just outside)
 *   the same way;
 * - with a vouched-for domain (`covers`) more hosts go direct, never fewer, and exactly the ones under it;
 * - generated lists (domains with and without dots and ports, IPv4/IPv6 addresses and CIDRs, bracketed,
 *   loopback, `*`) and generated hosts: the same decisions, one new seed per run.
 */
import fc from 'fast-check';
import { cleanupSynth, deployments, manifests, networkOf } from './support/examples';
import { requireTools } from './support/proc';
import { goDecisions, ipv4, probes, Route } from './support/resolvers';
import { compactNoProxy, goMatcher, NODE_CLASS_NO_PROXY_LIMITS } from '../../lib/proxy/no-proxy-compact';

/** The proxies themselves are never contacted: the probe only reports its decision. */
const PROXY = 'http://proxy.compaction.test:3128';

/** Tight enough that every step runs; the result is then the most compact list the steps reach. */
const EVERY_STEP = { maxEntries: 1, maxEntryLength: 255 };

function decide(noProxy: string[], urls: string[]): Route[] {
  return goDecisions({ HTTP_PROXY: PROXY, HTTPS_PROXY: PROXY, NO_PROXY: noProxy.join(',') }, urls);
}

/** URLs that test one entry's edges: its own name, a subdomain, ports; a CIDR's ends and neighbours. */
function urlsOf(entry: string): string[] {
  const m = goMatcher(entry);
  const web = (host: string) => [`https://${host}/`, `http://${host}:8080/`, `https://${host}:443/`];
  switch (m.kind) {
    case 'domain': {
      const name = m.suffix.slice(1);
      return [...web(name), ...web(`sub.${name}`), ...web(`sub${name.replace(/^[^.]*/, '')}`)];
    }
    case 'ip':
      if (m.family === 4) {
        return web(entry.split(':')[0]);
      }
      // fd00:ec2::254, or [fd00:ec2::254]:80
      return web(entry.startsWith('[') ? entry.slice(0, entry.indexOf(']') + 1) : `[${entry}]`);
    case 'cidr': {
      if (m.family !== 4) {
        return [];
      }
      const size = 2 ** (32 - m.prefix);
      const network = networkOf4(entry);
      const outside = (offset: number) => {
        const n = (Number(m.network) + offset + 2 ** 32) % 2 ** 32;
        return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
      };
      return [ipv4(network, 0), ipv4(network, size - 1), outside(-1), outside(size)].flatMap(web);
    }
    default:
      return [];
  }
}

const proxied = deployments((e) => e.hasProxy);

beforeAll(() => {
  requireTools('go');
});

afterAll(() => {
  cleanupSynth();
});

/** NO_PROXY of the proxy ConfigMap in kube-system (the list every node and workload gets). */
function fullListOf(d: (typeof proxied)[number]): string[] {
  const configMap = manifests(d).find((o) => o.kind === 'ConfigMap' && o.data?.NO_PROXY !== undefined);
  expect(configMap).toBeDefined();
  return configMap.data.NO_PROXY.split(',');
}

test('there are proxied examples in several partitions', () => {
  expect(new Set(proxied.map((d) => d.partition))).toEqual(new Set(['aws', 'aws-cn']));
});

describe.each(proxied.map((d) => [d.label, d] as const))('%s', (_label, d) => {
  test('the most compact exact list routes every host as the full list does (Go)', () => {
    const full = fullListOf(d);
    const compact = compactNoProxy(full, { limits: EVERY_STEP });
    // Something was compacted: the steps are exercised on real lists, not only on made-up ones.
    expect(compact.entries.length).toBeLessThan(full.length);
    expect(compact.steps.map((s) => s.step)).toEqual(expect.arrayContaining(['subsumed', 'go-built-in']));
    const urls = [...new Set([...probes(d, networkOf(d)).map((p) => p.url), ...full.flatMap(urlsOf)])];
    expect(urls.length).toBeGreaterThan(100);
    const before = decide(full, urls);
    const after = decide(compact.entries, urls);
    expect(before).toContain('direct');
    expect(before).toContain('proxy');
    expect(urls.filter((_, i) => before[i] !== after[i])).toEqual([]);
  });

  test('a vouched-for domain sends more hosts direct, never fewer, exactly those under it', () => {
    const full = fullListOf(d);
    // The regional domain: every example has entries under it (the EKS API server domain at least).
    const domain = `${d.region}.${d.urlSuffix}`;
    const compact = compactNoProxy(full, { limits: EVERY_STEP, covers: [domain] });
    expect(compact.steps.map((s) => s.step)).toContain('covered');
    const urls = [
      ...new Set([
        ...probes(d, networkOf(d)).map((p) => p.url),
        ...full.flatMap(urlsOf),
        `https://${domain}/`,
        `https://fips.${domain}/`,
      ]),
    ];
    const before = decide(full, urls);
    const after = decide(compact.entries, urls);
    const lost = urls.filter((_, i) => before[i] === 'direct' && after[i] !== 'direct');
    const gained = urls.filter((_, i) => before[i] === 'proxy' && after[i] === 'direct');
    expect(lost).toEqual([]);
    expect(gained.length).toBeGreaterThan(0);
    expect(gained.filter((u) => !new URL(u).hostname.endsWith(domain))).toEqual([]);
  });
});

describe.each(deployments((e) => e.autoMode === true).map((d) => [d.label, d] as const))(
  '%s: the Auto Mode NodeClass as deployed',
  (_label, d) => {
    test("its noProxy fits the NodeClass limits and routes every host as the ConfigMap's full list does (Go)", () => {
      const nodeClass = manifests(d).find((o) => o.kind === 'NodeClass');
      expect(nodeClass).toBeDefined();
      const { httpsProxy, noProxy } = nodeClass.spec.advancedNetworking;
      const full = fullListOf(d);
      expect(httpsProxy).toBe('http://proxy.corp.example:3128');
      expect(noProxy.length).toBeLessThanOrEqual(NODE_CLASS_NO_PROXY_LIMITS.maxEntries);
      expect(noProxy.every((e: string) => e.length <= NODE_CLASS_NO_PROXY_LIMITS.maxEntryLength)).toBe(true);
      const urls = [...new Set([...probes(d, networkOf(d)).map((p) => p.url), ...full.flatMap(urlsOf)])];
      const before = decide(full, urls);
      const after = decide(noProxy, urls);
      expect(before).toContain('direct');
      expect(urls.filter((_, i) => before[i] !== after[i])).toEqual([]);
    });
  },
);

describe('generated lists and hosts', () => {
  // Few names, so that lists often hold one name in several forms (`x`, `.x`, `*.x:443`, `a.x`).
  const label = fc.constantFrom('a', 'ec2', 'x-y');
  const name = fc.array(label, { minLength: 1, maxLength: 2 }).map((l) => `${l.join('.')}.example`);
  const port = fc.constantFrom('', ':443', ':8080');
  const octet = fc.constantFrom(0, 1, 2, 127, 128, 255);
  const v4 = fc.tuple(fc.constantFrom(10, 127), octet, octet, octet).map((o) => o.join('.'));
  const v6 = fc.constantFrom('fd00:ec2::254', 'fd00:ec2::23', '::1', 'fd00:ec2::', 'fd00:ec3::1');
  const entry = fc.oneof(
    { arbitrary: fc.tuple(fc.constantFrom('', '.', '*.'), name, port).map((p) => p.join('')), weight: 6 },
    { arbitrary: fc.tuple(v4, port).map((p) => p.join('')), weight: 2 },
    {
      arbitrary: fc.tuple(v4, fc.integer({ min: 8, max: 32 })).map(([a, p]) => `${a}/${p}`),
      weight: 3,
    },
    {
      arbitrary: fc.oneof(
        v6,
        v6.map((a) => `[${a}]`),
        v6.map((a) => `fd00:ec2::/${96 + (a.length % 3) * 16}`),
      ),
      weight: 2,
    },
    { arbitrary: fc.constant('*'), weight: 1 },
  );
  const host = fc.oneof(
    name,
    v4,
    v6.map((a) => `[${a}]`),
    fc.constant('localhost'),
  );
  const url = fc
    .tuple(fc.constantFrom('https://', 'http://'), host, fc.constantFrom('', ':443', ':8080'))
    .map(([s, h, p]) => `${s}${h}${p}/`);

  test('200 generated lists: the compact list and the full one agree on 40 generated URLs each (Go)', () => {
    let compacted = 0;
    fc.assert(
      fc.property(
        fc.array(entry, { minLength: 1, maxLength: 12 }),
        fc.array(url, { minLength: 40, maxLength: 40 }),
        (list, urls) => {
          // Host bits zero, as the library's CIDR check requires (Go would accept either).
          const full = list.map((e) => (e.includes('/') && e.includes('.') ? networkOf4(e) : e));
          const compact = compactNoProxy(full, { limits: EVERY_STEP });
          compacted += compact.entries.length < full.length ? 1 : 0;
          const all = [...new Set([...urls, ...full.flatMap(urlsOf)])];
          const before = decide(full, all);
          const after = decide(compact.entries, all);
          expect(all.filter((_, i) => before[i] !== after[i])).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
    expect(compacted).toBeGreaterThan(50);
  });
});

function networkOf4(cidr: string): string {
  const m = goMatcher(cidr);
  if (m.kind !== 'cidr') {
    return cidr;
  }
  const n = Number(m.network);
  return `${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')}/${m.prefix}`;
}
