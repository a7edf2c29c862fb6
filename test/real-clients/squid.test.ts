/**
 * Check 5: a real Squid on the path. Clients configured ONLY from the environment a node family
 * really gets (the generated /etc/environment on Amazon Linux; Bottlerocket's proxy.env, whose
 * HTTPS_PROXY has no scheme), with the proxy pointed at a local Squid, reach an allowed public name
 * through Squid, are refused a denied one by Squid, and go straight to the origin for every NO_PROXY
 * host, which never shows up in Squid's access.log. Bottlerocket sets no HTTP proxy, so its clients
 * are only given HTTPS URLs. Everything runs in one private network namespace.
 *
 * An authenticating proxy (authenticated-proxy): /etc/environment carries `user:password@` (filled in
 * by the boothook from the stub secret); its proxy URLs point at Squid's authenticating port, keeping
 * the credentials. Squid must log the user name on every allowed request, and the same environment
 * with the credentials removed must get 407 from Squid and never reach the origin.
 */
import { FAKE_CLUSTER_ENDPOINT_ID } from './support/intrinsics';
import {
  cleanupSynth,
  credentialsOf,
  deployments,
  Deployment,
  hasEndpoint,
  networkOf,
  TEST_PROXY_PASSWORD,
  TEST_PROXY_USERINFO,
  TEST_PROXY_USERNAME,
} from './support/examples';
import { familyEnvironment, familyEnvironments } from './support/generated';
import { requireCloudInit, requireRoot, requireTools, waitFor } from './support/proc';
import { ipv4 } from './support/resolvers';
import { withoutUserinfo } from './support/sandbox';
import {
  AccessLogEntry,
  BASIC_NCSA_AUTH,
  DIRECT_ADDRESS,
  FetchResult,
  pointAtSquid,
  SQUID_ADDRESS,
  SQUID_AUTH_ADDRESS,
  SquidLab,
  VIA_SQUID_ADDRESS,
} from './support/squid';

const proxied = deployments((e) => e.hasProxy);

/** Public names: two allowed by Squid, one denied. */
const ALLOWED = [
  {
    url: 'https://registry-1.docker.io/v2/',
    host: 'registry-1.docker.io',
    log: { code: 'TCP_TUNNEL', status: 200, method: 'CONNECT', url: 'registry-1.docker.io:443' },
  },
  {
    url: 'http://quay.io/v2/',
    host: 'quay.io',
    log: { code: 'TCP_MISS', status: 200, method: 'GET', url: 'http://quay.io/v2/' },
  },
];
const DENIED = [
  { url: 'https://www.example.com/', host: 'www.example.com', log: { method: 'CONNECT', url: 'www.example.com:443' } },
  { url: 'http://www.example.com/', host: 'www.example.com', log: { method: 'GET', url: 'http://www.example.com/' } },
];

/** NO_PROXY hosts of a deployment, reached over HTTPS (and IMDS over HTTP): AWS APIs only where the VPC has their endpoint. */
function directUrls(d: Deployment): Array<{ url: string; host: string; local: string }> {
  const R = d.region;
  const S = d.urlSuffix;
  const nodeName = `ip-${ipv4(networkOf(d).vpcCidr, 256 + 23).replace(/\./g, '-')}`;
  const apis: Array<[string, string]> = [
    ['ec2', `ec2.${R}.${S}`],
    ['sts', `sts.${R}.${S}`],
    ['ecr.api', `api.ecr.${R}.${S}`],
    ['ecr.dkr', `123456789012.dkr.ecr.${R}.${S}`],
    ['s3', `my-bucket.s3.${R}.${S}`],
    ['s3', `my-bucket.s3.dualstack.${R}.${S}`],
    ['cloudformation', `cloudformation.${R}.${S}`],
    ['secretsmanager', `secretsmanager.${R}.${S}`],
    ['kms', `kms.${R}.${S}`],
  ];
  const names = [
    `${FAKE_CLUSTER_ENDPOINT_ID.toLowerCase()}.${d.partition === 'aws-cn' ? 'yl4' : 'gr7'}.${R}.eks.${S}`,
    ...apis.filter(([service]) => hasEndpoint(d, service)).map(([, host]) => host),
    `${nodeName}.${R}.compute.internal`,
    ...(d.example.userNoProxyHost ? [d.example.userNoProxyHost] : []),
  ];
  return [
    ...names.map((host) => ({ url: `https://${host}/`, host, local: DIRECT_ADDRESS })),
    { url: 'http://169.254.169.254/latest/meta-data/', host: '169.254.169.254', local: '169.254.169.254' },
  ];
}

let lab: SquidLab;

beforeAll(async () => {
  requireRoot();
  requireTools('squid', BASIC_NCSA_AUTH, 'go', 'curl', 'openssl', 'nsenter', 'unshare');
  requireCloudInit();
  lab = new SquidLab({
    allowedDomains: ['registry-1.docker.io', '.quay.io'],
    squidNames: ['registry-1.docker.io', 'quay.io', 'www.example.com'],
    directNames: [
      ...new Set(
        proxied.flatMap((d) =>
          directUrls(d)
            .filter((u) => u.local === DIRECT_ADDRESS)
            .map((u) => u.host),
        ),
      ),
    ],
    extraAddresses: ['169.254.169.254/32'],
    proxyUser: { username: TEST_PROXY_USERNAME, password: TEST_PROXY_PASSWORD },
  });
  await lab.start();
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  cleanupSynth();
});

type ClientName = 'curl' | 'go' | 'python';

function fetchWith(client: ClientName, env: Record<string, string>, urls: string[]): FetchResult[] {
  switch (client) {
    case 'curl':
      return lab.curl(env, urls);
    case 'python':
      return lab.python(env, urls);
    case 'go':
      return lab.go(env, urls);
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
  const credentialed = credentialsOf(d) !== undefined;
  let env: Record<string, string>;
  beforeAll(() => {
    env = pointAtSquid(familyEnvironment(fe));
  });

  if (credentialed) {
    test("the generated environment carries the credentials; pointed at Squid's authenticating port, it keeps them", () => {
      for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) {
        expect({ [k]: env[k] }).toEqual({ [k]: `http://${TEST_PROXY_USERINFO}@${SQUID_AUTH_ADDRESS}` });
      }
    });
  }

  test.each(['curl', 'go', 'python'] as ClientName[])(
    '%s: allowed via Squid, denied by Squid, NO_PROXY hosts never touch Squid',
    async (client) => {
      const direct = keep(directUrls(d));
      const allowed = keep(ALLOWED);
      const denied = keep(DENIED);
      const urls = [...allowed.map((a) => a.url), ...denied.map((x) => x.url), ...direct.map((x) => x.url)];
      if (httpsOnly) {
        // Bottlerocket's form, kept: host:port without a scheme, and no HTTP proxy at all.
        expect([env.HTTPS_PROXY, env.https_proxy, env.HTTP_PROXY, env.http_proxy]).toEqual([
          SQUID_ADDRESS,
          SQUID_ADDRESS,
          undefined,
          undefined,
        ]);
      }
      const logBefore = lab.accessLog().length;
      const upstreamBefore = lab.upstreamLog().length;
      const results = fetchWith(client, env, urls);
      expect(results.map((r) => r.url)).toEqual(urls);
      const byUrl = new Map(results.map((r) => [r.url, r]));
      // Squid writes a tunnel's line when it closes: wait (bounded) for the proxied requests.
      await waitFor(
        'Squid access.log lines',
        () => lab.accessLog().length >= logBefore + allowed.length + denied.length,
        5_000,
      );
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
          problems.push(
            `${a.url}: no ${a.log.code}/${a.log.status} ${a.log.method} ${a.log.url} HIER_DIRECT/${VIA_SQUID_ADDRESS} line in access.log`,
          );
        }
        if (!upstream.some((u) => u.host === a.host && u.local === VIA_SQUID_ADDRESS)) {
          problems.push(`${a.url}: the origin did not see the request arrive from Squid`);
        }
        if (credentialed && !entries.some((e) => matches(e, a.log) && e.user === TEST_PROXY_USERNAME)) {
          problems.push(
            `${a.url}: no ${a.log.code}/${a.log.status} line with user ${TEST_PROXY_USERNAME} in access.log: ` +
              entries
                .filter((e) => e.url === a.log.url)
                .map((e) => e.line)
                .join(' | '),
          );
        }
      }
      if (credentialed && entries.some((e) => e.status === 407)) {
        problems.push(
          `a client with credentials was challenged: ${entries
            .filter((e) => e.status === 407)
            .map((e) => e.line)
            .join(' | ')}`,
        );
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
    },
  );

  if (credentialed) {
    test.each(['curl', 'go', 'python'] as ClientName[])(
      '%s: the same environment without the credentials gets 407 from Squid',
      async (client) => {
        const bare = withoutUserinfo(env);
        expect(bare.HTTPS_PROXY).toBe(`http://${SQUID_AUTH_ADDRESS}`);
        const logBefore = lab.accessLog().length;
        const upstreamBefore = lab.upstreamLog().length;
        const results = fetchWith(
          client,
          bare,
          ALLOWED.map((a) => a.url),
        );
        await waitFor('Squid access.log lines', () => lab.accessLog().length >= logBefore + ALLOWED.length, 5_000);
        const entries = lab.accessLog().slice(logBefore);
        const problems: string[] = [];
        for (const a of ALLOWED) {
          const r = results.find((x) => x.url === a.url)!;
          if (r.status === 200) {
            problems.push(`${a.url}: answered 200 without credentials`);
          }
          if (
            !entries.some((e) =>
              matches(e, { code: 'TCP_DENIED', status: 407, method: a.log.method, url: a.log.url, user: '-' }),
            )
          ) {
            problems.push(
              `${a.url}: no TCP_DENIED/407 ${a.log.method} ${a.log.url} line without a user in access.log: ${entries.map((e) => e.line).join(' | ')}`,
            );
          }
        }
        if (lab.upstreamLog().length !== upstreamBefore) {
          problems.push('a request without credentials reached the origin');
        }
        expect(problems).toEqual([]);
      },
    );
  }
});

test("Squid's authenticating port: the check can fail (a wrong password gets 407, the right one 200)", async () => {
  const wrong = { HTTPS_PROXY: `http://${TEST_PROXY_USERNAME}:wrong@${SQUID_AUTH_ADDRESS}`, NO_PROXY: '' };
  const right = { HTTPS_PROXY: `http://${TEST_PROXY_USERINFO}@${SQUID_AUTH_ADDRESS}`, NO_PROXY: '' };
  const before = lab.accessLog().length;
  const [bad] = lab.curl(wrong, [ALLOWED[0].url]);
  const [good] = lab.curl(right, [ALLOWED[0].url]);
  await waitFor('Squid access.log lines', () => lab.accessLog().length >= before + 2, 5_000);
  const entries = lab.accessLog().slice(before);
  expect(bad.status).not.toBe(200);
  expect(good.status).toBe(200);
  expect(entries.map((e) => [e.code, e.status])).toEqual(
    expect.arrayContaining([
      ['TCP_DENIED', 407],
      ['TCP_TUNNEL', 200],
    ]),
  );
  expect(entries.find((e) => e.code === 'TCP_TUNNEL')!.user).toBe(TEST_PROXY_USERNAME);
});
