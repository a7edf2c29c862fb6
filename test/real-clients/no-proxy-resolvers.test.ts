/**
 * Check 4: the generated NO_PROXY, read by three real resolvers: Go's net/http
 * (ProxyFromEnvironment, `go run`, one process per environment), curl (run in its own network
 * namespace against a recording proxy) and Python's urllib (getproxies/proxy_bypass_environment).
 * One environment per example and node family:
 * - Amazon Linux (AL2023, AL2): the /etc/environment block the boothook writes in the sandbox;
 * - Bottlerocket: /etc/network/proxy.env as Bottlerocket renders it from the TOML settings
 *   (support/bottlerocket.ts). It has HTTPS_PROXY only, without a scheme, so only HTTPS targets are
 *   probed, and each client's reading of a scheme-less proxy value is checked and recorded.
 * With an authenticating proxy (authenticated-proxy) the proxy URLs carry `user:password@` (from the
 * stub secret); every client must route every host exactly as with the credentials removed.
 *
 * With REAL_CLIENTS_REPORT=1 (`npm run report:real-clients`) it also writes the host × client tables to
 * test/real-clients/REPORT.md; a plain test run writes no tracked file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { cleanupSynth, credentialsOf, deployments, Family, networkOf, TEST_PROXY_USERINFO } from './support/examples';
import { familyEnvironment, familyEnvironments } from './support/generated';
import { PYTHON, requireCloudInit, requireRoot, requireTools, run } from './support/proc';
import {
  CLIENTS,
  curlRoutes,
  probes,
  renderTable,
  resolverMatrix,
  Row,
  SchemeProbe,
  schemelessProxyProbe,
} from './support/resolvers';
import { withoutUserinfo } from './support/sandbox';

const REPORT = path.join(__dirname, 'REPORT.md');

const tables: Array<{
  label: string;
  family: Family;
  env: Record<string, string>;
  rows: Row[];
  sameWithoutCredentials?: boolean;
}> = [];
let schemeProbes: SchemeProbe[] | undefined;

beforeAll(() => {
  requireRoot();
  requireTools('go', 'curl', 'unshare', 'ip', 'mount', PYTHON);
  requireCloudInit();
});

afterAll(() => {
  if (process.env.REAL_CLIENTS_REPORT === '1' && tables.length > 0) {
    fs.writeFileSync(REPORT, renderReport());
  }
  cleanupSynth();
});

const environments = deployments((e) => e.hasProxy).flatMap(familyEnvironments);

test('every proxied family of every example has a table (AL2023, AL2, Bottlerocket)', () => {
  expect(new Set(environments.map((e) => e.family))).toEqual(new Set(['AL2023', 'AL2', 'BOTTLEROCKET']));
});

describe.each(environments.map((e) => [e.label, e] as const))('%s', (label, fe) => {
  test('Go, curl and Python route every host as expected', () => {
    const env = familyEnvironment(fe);
    let list = probes(fe.d, networkOf(fe.d));
    if (fe.family === 'BOTTLEROCKET') {
      // Bottlerocket sets no HTTP proxy: plain-HTTP targets go direct whatever NO_PROXY says.
      expect(Object.keys(env).filter((k) => /^http_proxy$/i.test(k))).toEqual([]);
      list = list.filter((p) => p.url.startsWith('https://'));
    }
    const rows = resolverMatrix(env, list);
    let sameWithoutCredentials: boolean | undefined;
    if (credentialsOf(fe.d)) {
      // The proxy URLs carry the credentials the boothook filled in; removing them changes no decision.
      expect(env.HTTPS_PROXY).toContain(`://${TEST_PROXY_USERINFO}@`);
      const bare = resolverMatrix(withoutUserinfo(env), list);
      const differ = rows.flatMap((r, i) =>
        CLIENTS.filter((c) => r.actual[c] !== bare[i].actual[c]).map(
          (c) => `${r.host} ${c}: ${r.actual[c]} vs ${bare[i].actual[c]}`,
        ),
      );
      sameWithoutCredentials = differ.length === 0;
      expect(differ).toEqual([]);
    }
    tables.push({ label, family: fe.family, env, rows, sameWithoutCredentials });
    const table = renderTable(label, rows);
    const bad = rows
      .filter((r) => r.mismatches.length > 0)
      .map(
        (r) =>
          `${r.host}: expected ${r.probe.expected}, ${r.mismatches.map((c) => `${c} went ${r.actual[c]}`).join(', ')}`,
      );
    if (bad.length > 0) {
      throw new Error(`NO_PROXY mismatches for ${label}:\n${bad.join('\n')}\n\n${table}`);
    }
    // Everything else agrees: the only disagreements are the documented ones.
    for (const r of rows.filter((x) => x.knownDisagreements.length > 0)) {
      expect(r.knownDisagreements).toEqual(['python']);
    }
  });
});

test("a proxy given without a scheme (Bottlerocket's https-proxy): Go, curl and Python all use it as an http:// proxy", () => {
  const bottlerocket = environments.find((e) => e.family === 'BOTTLEROCKET')!;
  const env = familyEnvironment(bottlerocket);
  expect(env.HTTPS_PROXY).not.toMatch(/:\/\//);
  schemeProbes = schemelessProxyProbe(env);
  const hostPort = env.HTTPS_PROXY;
  // Plain HTTP to the proxy: the CONNECT request line (a client that assumed https:// would send TLS).
  expect(schemeProbes.map((p) => [p.client, p.method, p.target])).toEqual([
    ['go', 'CONNECT', 'go.scheme-probe.example:443'],
    ['curl', 'CONNECT', 'curl.scheme-probe.example:443'],
    ['python', 'CONNECT', 'python.scheme-probe.example:443'],
  ]);
  // Go says so itself: ProxyFromEnvironment returns http://host:port. Python keeps the raw value and
  // decides per request (urllib: no scheme -> the request's own; for https it tunnels with CONNECT).
  expect(schemeProbes[0].decision).toBe(`http://${hostPort}`);
  expect(schemeProbes[2].decision).toBe(hostPort);
});

function versionLine(cmd: string, args: string[]): string {
  const r = run(cmd, args, { timeout: 30_000, env: { ...process.env, GOTOOLCHAIN: 'local' } });
  return (r.stdout || r.stderr).split('\n')[0].trim();
}

function renderReport(): string {
  const parts = [
    '# NO_PROXY with real clients',
    '',
    'Generated by `npm run report:real-clients` (test/real-clients/no-proxy-resolvers.test.ts); do not edit by hand.',
    '',
    'Each example is synthesized and its intrinsics resolved for the region. For every node family it uses, the proxy',
    'variables its nodes really get are given to three real clients, one host at a time. A regional AWS API is expected',
    'to go direct when the VPC has an endpoint for it and through the proxy otherwise (isolated subnets have no other way out).',
    '',
    '- Amazon Linux 2023 and Amazon Linux 2: the `/etc/environment` block the generated boothook writes, run in a sandbox',
    '  (with an authenticating proxy, a stub `aws` CLI returns a test secret and the proxy URLs carry its credentials);',
    '- Bottlerocket: `/etc/network/proxy.env` as Bottlerocket renders it from the generated TOML settings (the',
    '  `no-proxy` list, then `localhost,127.0.0.1`, the API server host and `.cluster.local`; `HTTPS_PROXY` only, given',
    '  as host:port without a scheme). Managed Bottlerocket nodes get the API server from the settings EKS merges in.',
    '  Only HTTPS targets are probed: without an HTTP proxy, plain HTTP always goes direct.',
    '',
    'Clients:',
    '',
    `- Go: \`net/http.ProxyFromEnvironment\` (${versionLine('go', ['version'])})`,
    `- curl: really run in a private network namespace; "proxy" means its recording proxy saw the request (${versionLine('curl', ['--version'])})`,
    `- Python: \`urllib.request\` getproxies + proxy_bypass_environment (${versionLine(PYTHON, ['--version'])})`,
    '',
    'A cell in bold differs from the expected route.',
    '',
  ];
  if (schemeProbes) {
    parts.push(
      '## A proxy without a scheme (Bottlerocket `https-proxy`)',
      '',
      'Each client fetched an HTTPS URL with `HTTPS_PROXY` set to the Bottlerocket value (no scheme), through a recording',
      'proxy in a private network namespace. `CONNECT` means it spoke plain HTTP to the proxy, i.e. read the value as `http://`.',
      '',
      '| client | proxy as the client reports it | first request line at the proxy |',
      '| --- | --- | --- |',
      ...schemeProbes.map(
        (p) =>
          `| ${p.client === 'go' ? 'Go' : p.client === 'curl' ? 'curl' : 'Python'} | ${p.decision ? `\`${p.decision}\`` : '(not reported)'} | \`${p.method} ${p.target}\` |`,
      ),
      '',
      'All three treat a scheme-less proxy as `http://`: Go parses it as `http://host:port` (net/http falls back to',
      "`http://` when the value has no usable scheme); curl assumes `http://` for a proxy without a scheme; Python's urllib",
      "keeps the raw value and, finding no scheme, uses the request's own, but an HTTPS request is always tunnelled with",
      '`CONNECT` over a plain connection to the proxy, so the effect for HTTPS targets is the same as `http://`.',
      '',
    );
  }
  for (const t of tables) {
    parts.push(renderTable(t.label, t.rows));
    if (t.family === 'BOTTLEROCKET') {
      parts.push(`HTTPS_PROXY: \`${t.env.HTTPS_PROXY}\` (no HTTP_PROXY)`, '');
    } else {
      // The password is the test's stub secret, masked anyway.
      parts.push(`HTTPS_PROXY: \`${t.env.HTTPS_PROXY.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:****@')}\``, '');
    }
    if (t.sameWithoutCredentials !== undefined) {
      parts.push(
        `With the credentials removed from the proxy URLs, every client routes all ${t.rows.length} hosts the same: ` +
          `${t.sameWithoutCredentials ? 'yes' : '**no**'}. The credentials come from the stub secret, written by the boothook ` +
          '(URL-encoded by python3); squid.test.ts shows Squid authenticating these clients and refusing them (407) without the credentials.',
        '',
      );
    }
    parts.push(`NO_PROXY: \`${t.env.NO_PROXY}\``, '');
  }
  return parts.join('\n');
}

describe("curl's transfers paired with the recording proxy's log (one curl process for all URLs)", () => {
  const urls = [
    'https://ec2.us-east-1.amazonaws.com/',
    'http://169.254.169.254/latest/meta-data/',
    'http://quay.io/v2/',
  ];
  const connect = { method: 'CONNECT', target: 'ec2.us-east-1.amazonaws.com:443' };
  const get = { method: 'GET', target: 'http://quay.io/v2/' };

  test('answered by the proxy: proxied, each with its own logged request; failed locally: direct', () => {
    expect(curlRoutes(urls, ['56 000 502', '7 000 000', '0 502 000'], [connect, get])).toEqual([
      'proxy',
      'direct',
      'proxy',
    ]);
  });

  test('the check can fail: a 502 the proxy did not log, a request no transfer accounts for, a direct answer', () => {
    expect(() => curlRoutes(urls, ['56 000 502', '7 000 000', '0 502 000'], [connect])).toThrow(
      /next request is undefined/,
    );
    expect(() => curlRoutes(urls, ['56 000 502', '7 000 000', '0 502 000'], [get, connect])).toThrow(/next request/);
    expect(() => curlRoutes(urls, ['56 000 502', '7 000 000', '7 000 000'], [connect, get])).toThrow(
      /saw 2 requests, curl was answered by it 1 times/,
    );
    expect(() => curlRoutes(urls, ['56 000 502', '0 200 000', '0 502 000'], [connect, get])).toThrow(
      /went direct to http:\/\/169.254.169.254\/latest\/meta-data\/ and exited 0/,
    );
    expect(() => curlRoutes(urls, ['56 000 502'], [connect])).toThrow(/1 transfers for 3 URLs/);
  });
});
