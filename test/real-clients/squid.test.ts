/**
 * Check 5: a real Squid on the path. Clients configured ONLY from the environment a node family
 * really gets (the generated /etc/environment on Amazon Linux; Bottlerocket's proxy.env, whose
 * HTTPS_PROXY has no scheme), with the proxy pointed at a local Squid, reach an allowed public name
 * through Squid, are refused a denied one by Squid, and go straight to the origin for every NO_PROXY
 * host, which never shows up in Squid's access.log. Bottlerocket sets no HTTP proxy, so its clients
 * are only given HTTPS URLs. Everything runs in one private network namespace.
 */
import * as path from 'path';
import { FAKE_CLUSTER_ENDPOINT_ID } from './support/intrinsics';
import { cleanupSynth, deployments, Deployment, endpointServiceNames, networkOf } from './support/examples';
import { familyEnvironment, familyEnvironments } from './support/generated';
import { removeDir, requireCloudInit, requireRoot, requireTools, tempDir, waitFor } from './support/proc';
import { goEnvironment, ipv4 } from './support/resolvers';
import { AccessLogEntry, DIRECT_ADDRESS, FetchResult, pointAtSquid, SQUID_ADDRESS, SquidLab, VIA_SQUID_ADDRESS } from './support/squid';

const GO_DIR = path.join(__dirname, 'go');
const proxied = deployments((e) => e.hasProxy);

/** Public names: two allowed by Squid, one denied. */
const ALLOWED = [
  { url: 'https://registry-1.docker.io/v2/', host: 'registry-1.docker.io', log: { code: 'TCP_TUNNEL', status: 200, method: 'CONNECT', url: 'registry-1.docker.io:443' } },
  { url: 'http://quay.io/v2/', host: 'quay.io', log: { code: 'TCP_MISS', status: 200, method: 'GET', url: 'http://quay.io/v2/' } },
];
const DENIED = [
  { url: 'https://www.example.com/', host: 'www.example.com', log: { method: 'CONNECT', url: 'www.example.com:443' } },
  { url: 'http://www.example.com/', host: 'www.example.com', log: { method: 'GET', url: 'http://www.example.com/' } },
];

/** NO_PROXY hosts of a deployment, reached over HTTPS (and IMDS over HTTP). */
function directUrls(d: Deployment): Array<{ url: string; host: string; local: string }> {
  const R = d.region;
  const S = d.urlSuffix;
  const nodeName = `ip-${ipv4(networkOf(d).vpcCidr, 256 + 23).replace(/\./g, '-')}`;
  const names = [
    `${FAKE_CLUSTER_ENDPOINT_ID.toLowerCase()}.${d.partition === 'aws-cn' ? 'yl4' : 'gr7'}.${R}.eks.${S}`,
    `ec2.${R}.${S}`,
    `sts.${R}.${S}`,
    `api.ecr.${R}.${S}`,
    `123456789012.dkr.ecr.${R}.${S}`,
    `my-bucket.s3.${R}.${S}`,
    `my-bucket.s3.dualstack.${R}.${S}`,
    `${nodeName}.${R}.compute.internal`,
    ...(endpointServiceNames(d).some((n) => n.endsWith('.cloudformation')) ? [`cloudformation.${R}.${S}`] : []),
    ...(d.example.userNoProxyHost ? [d.example.userNoProxyHost] : []),
  ];
  return [
    ...names.map((host) => ({ url: `https://${host}/`, host, local: DIRECT_ADDRESS })),
    { url: 'http://169.254.169.254/latest/meta-data/', host: '169.254.169.254', local: '169.254.169.254' },
  ];
}

let lab: SquidLab;
let goCache: string;

beforeAll(async () => {
  requireRoot();
  requireTools('squid', 'go', 'curl', 'openssl', 'nsenter', 'unshare');
  requireCloudInit();
  goCache = tempDir('gocache');
  lab = new SquidLab({
    allowedDomains: ['registry-1.docker.io', '.quay.io'],
    squidNames: ['registry-1.docker.io', 'quay.io', 'www.example.com'],
    directNames: [...new Set(proxied.flatMap((d) => directUrls(d).filter((u) => u.local === DIRECT_ADDRESS).map((u) => u.host)))],
    extraAddresses: ['169.254.169.254/32'],
  });
  await lab.start();
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  removeDir(goCache);
  cleanupSynth();
});

type ClientName = 'curl' | 'go' | 'python';

function fetchWith(client: ClientName, env: Record<string, string>, urls: string[]): FetchResult[] {
  switch (client) {
    case 'curl': return lab.curl(env, urls);
    case 'python': return lab.python(env, urls);
    case 'go': return lab.go(env, urls, GO_DIR, goEnvironment(goCache));
  }
}

const matches = (e: AccessLogEntry, want: Partial<AccessLogEntry>) =>
  Object.entries(want).every(([k, v]) => (e as any)[k] === v);

const environments = proxied.flatMap(familyEnvironments);

describe.each(environments.map((fe) => [fe.label, fe] as const))('%s', (_label, fe) => {
  const d = fe.d;
  // Bottlerocket has no HTTP proxy: its clients are only given HTTPS URLs.
  const httpsOnly = fe.family === 'BOTTLEROCKET';
  const keep = <T extends { url: string }>(list: T[]) => list.filter((u) => !httpsOnly || u.url.startsWith('https://'));
  let env: Record<string, string>;
  beforeAll(() => {
    env = pointAtSquid(familyEnvironment(fe));
  });

  test.each(['curl', 'go', 'python'] as ClientName[])('%s: allowed via Squid, denied by Squid, NO_PROXY hosts never touch Squid', async (client) => {
    const direct = keep(directUrls(d));
    const allowed = keep(ALLOWED);
    const denied = keep(DENIED);
    const urls = [...allowed.map((a) => a.url), ...denied.map((x) => x.url), ...direct.map((x) => x.url)];
    if (httpsOnly) {
      // Bottlerocket's form, kept: host:port without a scheme, and no HTTP proxy at all.
      expect([env.HTTPS_PROXY, env.https_proxy, env.HTTP_PROXY, env.http_proxy]).toEqual([SQUID_ADDRESS, SQUID_ADDRESS, undefined, undefined]);
    }
    const logBefore = lab.accessLog().length;
    const upstreamBefore = lab.upstreamLog().length;
    const results = fetchWith(client, env, urls);
    expect(results.map((r) => r.url)).toEqual(urls);
    const byUrl = new Map(results.map((r) => [r.url, r]));
    // Squid writes a tunnel's line when it closes: wait (bounded) for the proxied requests.
    await waitFor('Squid access.log lines', () => lab.accessLog().length >= logBefore + allowed.length + denied.length, 5_000);
    await new Promise((r) => setTimeout(r, 200));
    const entries = lab.accessLog().slice(logBefore);
    const upstream = lab.upstreamLog().slice(upstreamBefore);
    const problems: string[] = [];

    for (const a of allowed) {
      const r = byUrl.get(a.url)!;
      if (r.status !== 200 || !r.body.startsWith(`upstream-ok ${a.host}`)) {
        problems.push(`${a.url}: expected 200 from the origin through Squid, got ${r.status} ${r.error}`);
      }
      if (!entries.some((e) => matches(e, a.log) && e.hierarchy === `HIER_DIRECT/${VIA_SQUID_ADDRESS}`)) {
        problems.push(`${a.url}: no ${a.log.code}/${a.log.status} ${a.log.method} ${a.log.url} HIER_DIRECT/${VIA_SQUID_ADDRESS} line in access.log`);
      }
      if (!upstream.some((u) => u.host === a.host && u.local === VIA_SQUID_ADDRESS)) {
        problems.push(`${a.url}: the origin did not see the request arrive from Squid`);
      }
    }
    for (const x of denied) {
      const r = byUrl.get(x.url)!;
      if (r.status === 200) {
        problems.push(`${x.url}: a denied name answered 200`);
      }
      if (!entries.some((e) => matches(e, { ...x.log, code: 'TCP_DENIED', status: 403 }))) {
        problems.push(`${x.url}: no TCP_DENIED/403 ${x.log.method} ${x.log.url} line in access.log`);
      }
    }
    if (upstream.some((u) => u.host === 'www.example.com')) {
      problems.push('the denied name reached the origin');
    }
    const everything = lab.accessLog();
    for (const x of direct) {
      const r = byUrl.get(x.url)!;
      if (r.status !== 200 || !r.body.startsWith(`upstream-ok ${x.host}`)) {
        problems.push(`${x.url}: expected 200 straight from the origin, got ${r.status} ${r.error}`);
      }
      if (!upstream.some((u) => u.host === x.host && u.local === x.local)) {
        problems.push(`${x.url}: the origin did not see a direct request on ${x.local}`);
      }
      const seen = everything.filter((e) => e.url.includes(x.host));
      if (seen.length > 0) {
        problems.push(`${x.url}: NO_PROXY host went through Squid: ${seen.map((e) => e.line).join(' | ')}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
