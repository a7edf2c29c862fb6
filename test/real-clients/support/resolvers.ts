/**
 * NO_PROXY as three real clients read it: Go's net/http (ProxyFromEnvironment), curl (actually run
 * in a private network namespace against a recording proxy) and Python's urllib
 * (getproxies/proxy_bypass_environment). The expected route of each host is written down here,
 * independently of the library, from what each host is.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FAKE_CLUSTER_ENDPOINT_ID } from './intrinsics';
import { Deployment, hasEndpoint } from './examples';
import { goProbe, stubsEnvironment } from './go-programs';
import { PYTHON, removeDir, requireRoot, requireTools, run, runOk, sandboxArgs, SUPPORT_DIR, tempDir } from './proc';
import { jsonLines } from './json-lines';

export type Route = 'direct' | 'proxy';
export const CLIENTS = ['go', 'curl', 'python'] as const;
export type Client = (typeof CLIENTS)[number];

/** One host to probe and where its traffic must go. */
export interface Probe {
  readonly what: string;
  readonly url: string;
  readonly expected: Route;
  /** Clients that legitimately take another route, and why. */
  readonly known?: Partial<Record<Client, { route: Route; why: string }>>;
}

/** Python ignores CIDR entries (and so does everything built on urllib: requests, botocore). */
const PYTHON_CIDR = {
  python: {
    route: 'proxy' as Route,
    why: "Python's urllib ignores CIDR entries in NO_PROXY: proxy_bypass_environment matches host names and exact addresses only",
  },
};

/** Python compares the bracketed host of an IPv6 URL with the entry text. */
const PYTHON_IPV6 = {
  python: {
    route: 'proxy' as Route,
    why:
      "Python's urllib compares the bracketed host `[fd00:ec2::254]` with the NO_PROXY text, so an unbracketed IPv6 " +
      'entry never matches; Go and curl match it. Listing the bracketed form as well (`[fd00:ec2::254]`, `[fd00:ec2::23]`) ' +
      'would make all three agree (checked: Go and curl ignore the bracketed entry, Python then bypasses)',
  },
};

/** The address `offset` places into `cidr`. */
export function ipv4(cidr: string, offset: number): string {
  const [base, bits] = cidr.split('/');
  const n = base.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const size = 2 ** (32 - Number(bits));
  if (offset >= size) {
    throw new Error(`${offset} is outside ${cidr}`);
  }
  const v = (n + offset) >>> 0;
  return [24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.');
}

/**
 * The hosts of one deployment: node, pod and service addresses and names, IMDS and the API server's
 * private endpoint must go direct; a regional AWS API goes direct when the VPC has an endpoint for it
 * and through the proxy when it has none (isolated subnets have no other way out); public registries
 * and the internet go through the proxy.
 */
export function probes(d: Deployment, network: { vpcCidr: string; serviceCidr: string }): Probe[] {
  const R = d.region;
  const S = d.urlSuffix;
  const nodeIp = ipv4(network.vpcCidr, 256 + 23);
  const podIp = ipv4(network.vpcCidr, 37 * 256 + 142);
  const serviceIp = ipv4(network.serviceCidr, 1);
  const cell = d.partition === 'aws-cn' ? 'yl4' : 'gr7';
  const nodeName = `ip-${nodeIp.replace(/\./g, '-')}`;
  /** A regional AWS API: direct through its VPC endpoint, or through the proxy without one. */
  const api = (what: string, url: string, service: string): Probe =>
    hasEndpoint(d, service)
      ? { what: `${what}; VPC endpoint`, url, expected: 'direct' }
      : { what: `${what}; no VPC endpoint`, url, expected: 'proxy' };
  const list: Probe[] = [
    {
      what: 'EKS API server (private endpoint)',
      url: `https://${FAKE_CLUSTER_ENDPOINT_ID}.${cell}.${R}.eks.${S}/version`,
      expected: 'direct',
    },
    api('EC2 API (nodeadm, VPC CNI)', `https://ec2.${R}.${S}/`, 'ec2'),
    api('STS (IRSA, regional)', `https://sts.${R}.${S}/`, 'sts'),
    api('ECR API', `https://api.ecr.${R}.${S}/`, 'ecr.api'),
    api('ECR registry (image pulls)', `https://123456789012.dkr.ecr.${R}.${S}/v2/`, 'ecr.dkr'),
    api('EKS API (DescribeCluster)', `https://eks.${R}.${S}/`, 'eks'),
    api('Lambda API (kubectl provider)', `https://lambda.${R}.${S}/`, 'lambda'),
    api('S3 regional', `https://s3.${R}.${S}/`, 's3'),
    api('S3 bucket, regional virtual host', `https://my-bucket.s3.${R}.${S}/key`, 's3'),
    api('S3 bucket, dual-stack', `https://my-bucket.s3.dualstack.${R}.${S}/key`, 's3'),
    api('ECR image layers (S3)', `https://prod-${R}-starport-layer-bucket.s3.${R}.${S}/layer`, 's3'),
    // cfn-signal (self-managed nodes), the proxy credentials (nodes at boot) and their KMS key.
    api('CloudFormation (cfn-signal)', `https://cloudformation.${R}.${S}/`, 'cloudformation'),
    api('Secrets Manager (proxy credentials)', `https://secretsmanager.${R}.${S}/`, 'secretsmanager'),
    api("KMS (the credentials' key)", `https://kms.${R}.${S}/`, 'kms'),
    { what: 'IMDS', url: 'http://169.254.169.254/latest/meta-data/', expected: 'direct' },
    { what: 'IMDS (IPv6)', url: 'http://[fd00:ec2::254]/latest/meta-data/', expected: 'direct', known: PYTHON_IPV6 },
    { what: 'EKS Pod Identity agent', url: 'http://169.254.170.23/v1/credentials', expected: 'direct' },
    {
      what: 'EKS Pod Identity agent (IPv6)',
      url: 'http://[fd00:ec2::23]/v1/credentials',
      expected: 'direct',
      known: PYTHON_IPV6,
    },
    {
      what: `node IP (in ${network.vpcCidr})`,
      url: `https://${nodeIp}:10250/healthz`,
      expected: 'direct',
      known: PYTHON_CIDR,
    },
    { what: `pod IP (in ${network.vpcCidr})`, url: `http://${podIp}:8080/`, expected: 'direct', known: PYTHON_CIDR },
    {
      what: `kubernetes service IP (first of ${network.serviceCidr})`,
      url: `https://${serviceIp}/version`,
      expected: 'direct',
      known: PYTHON_CIDR,
    },
    { what: 'kubernetes service name', url: 'https://kubernetes.default.svc/version', expected: 'direct' },
    {
      what: 'kubernetes service FQDN',
      url: 'https://kubernetes.default.svc.cluster.local/version',
      expected: 'direct',
    },
    ...(R === 'us-east-1'
      ? [{ what: 'node name (us-east-1)', url: `https://${nodeName}.ec2.internal:10250/`, expected: 'direct' as Route }]
      : []),
    {
      what: 'node name (compute.internal)',
      url: `https://${nodeName}.${R}.compute.internal:10250/`,
      expected: 'direct',
    },
    { what: 'localhost', url: 'http://localhost:10248/healthz', expected: 'direct' },
    { what: 'loopback address', url: 'http://127.0.0.1:10248/healthz', expected: 'direct' },
    { what: 'Docker Hub', url: 'https://registry-1.docker.io/v2/', expected: 'proxy' },
    { what: 'Quay', url: 'https://quay.io/v2/', expected: 'proxy' },
    { what: 'ECR Public', url: 'https://public.ecr.aws/v2/', expected: 'proxy' },
    { what: 'the internet', url: 'https://www.example.com/', expected: 'proxy' },
    { what: 'the internet (plain HTTP)', url: 'http://www.example.com/', expected: 'proxy' },
  ];
  if (d.example.userNoProxyHost) {
    // The example's own extra entry (.corp.example).
    list.push({
      what: 'corporate host (user entry .corp.example)',
      url: `https://${d.example.userNoProxyHost}/`,
      expected: 'direct',
    });
  }
  return list;
}

/** Go: one probe process per environment (net/http reads the environment once). */
export function goDecisions(env: Record<string, string>, urls: string[]): Route[] {
  const out = runOk(goProbe(), ['decide', ...urls], { env: { PATH: '/usr/bin:/bin', ...env }, timeout: 60_000 });
  return parseDecisions(out, urls);
}

/** Python urllib: the decision ProxyHandler makes. */
export function pythonDecisions(env: Record<string, string>, urls: string[]): Route[] {
  const out = runOk(PYTHON, [path.join(SUPPORT_DIR, 'urllib_decide.py'), ...urls], {
    env: { PATH: '/usr/bin:/bin', ...env },
    timeout: 60_000,
  });
  return parseDecisions(out, urls);
}

function parseDecisions(out: string, urls: string[]): Route[] {
  const lines = jsonLines(out);
  if (lines.length !== urls.length) {
    throw new Error(`expected ${urls.length} decisions, got ${lines.length}:\n${out}`);
  }
  return lines.map((l, i) => {
    if (l.url !== urls[i] || l.error) {
      throw new Error(`bad decision for ${urls[i]}: ${JSON.stringify(l)}`);
    }
    return l.proxy ? 'proxy' : 'direct';
  });
}

/** curl's exit codes for a direct attempt that failed inside the namespace: no DNS (6) or no route/refused (7). */
export const CURL_LOCAL_FAILURES = [6, 7];

/**
 * curl, really run: proxied when the recording proxy in its namespace saw the request. A direct
 * attempt must fail locally (exit 6 or 7): anything else would mean it reached something.
 * One curl process fetches every URL (support/curl-matrix.sh); its per-transfer results are paired with
 * the proxy's log by `curlRoutes`.
 */
export function curlDecisions(env: Record<string, string>, urls: string[]): Route[] {
  requireRoot();
  requireTools('unshare', 'ip', 'mount', 'curl', PYTHON);
  const work = tempDir('curl');
  try {
    fs.writeFileSync(
      path.join(work, 'env'),
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
    );
    fs.writeFileSync(path.join(work, 'urls'), urls.join('\n') + '\n');
    const r = run('unshare', sandboxArgs('curl-matrix.sh', work), {
      env: stubsEnvironment(),
      timeout: 10_000 + urls.length * 7_000,
    });
    if (r.status !== 0) {
      throw new Error(`curl matrix failed (${r.status ?? r.signal}): ${r.stderr}`);
    }
    const read = (file: string) => fs.readFileSync(path.join(work, file), 'utf8').split('\n').filter(Boolean);
    return curlRoutes(urls, read('result'), jsonLines(fs.readFileSync(path.join(work, 'proxy.log'), 'utf8')));
  } finally {
    removeDir(work);
  }
}

/**
 * Each URL's route from one curl run over all of them: curl's line per transfer (`EXIT HTTP_CODE
 * CONNECT_CODE`) and the recording proxy's log, a request a line in the order the transfers ran. A transfer
 * the proxy answered (its 502, to the request or to the CONNECT) is proxied, and must be the proxy's next
 * logged request, naming the URL's host; every logged request must belong to one. Anything else went direct
 * and must have failed locally.
 */
export function curlRoutes(urls: string[], transfers: string[], proxyLog: Array<{ target?: string }>): Route[] {
  if (transfers.length !== urls.length) {
    throw new Error(`curl reported ${transfers.length} transfers for ${urls.length} URLs:\n${transfers.join('\n')}`);
  }
  let logged = 0;
  const routes = urls.map((url, i): Route => {
    const [exit, code, connectCode] = transfers[i].split(' ');
    if (code === PROXY_ANSWER || connectCode === PROXY_ANSWER) {
      const entry = proxyLog[logged++];
      const host = new URL(url).hostname.toLowerCase();
      if (
        !entry ||
        !String(entry.target ?? '')
          .toLowerCase()
          .includes(host)
      ) {
        throw new Error(
          `curl got the proxy's answer for ${url}, but the proxy's next request is ${JSON.stringify(entry)}`,
        );
      }
      return 'proxy';
    }
    if (!CURL_LOCAL_FAILURES.includes(Number(exit))) {
      throw new Error(
        `curl went direct to ${url} and exited ${exit} (HTTP ${code}), not a local failure: something answered inside the sandbox`,
      );
    }
    return 'direct';
  });
  if (logged !== proxyLog.length) {
    throw new Error(`the proxy saw ${proxyLog.length} requests, curl was answered by it ${logged} times`);
  }
  return routes;
}

/** What the recording proxy (the stub servers' proxy, go/stubs) answers every request with. */
const PROXY_ANSWER = '502';

/** One row of the host × client table. */
export interface Row {
  readonly probe: Probe;
  readonly host: string;
  readonly actual: Record<Client, Route>;
  /** Client routes that differ from the expectation and are not a known disagreement. */
  readonly mismatches: Client[];
  /** Client routes that differ from the expectation in a known, explained way. */
  readonly knownDisagreements: Client[];
}

/** Run the three clients on one environment and compare with the expectations. */
export function resolverMatrix(env: Record<string, string>, list: Probe[]): Row[] {
  const urls = list.map((p) => p.url);
  const results: Record<Client, Route[]> = {
    go: goDecisions(env, urls),
    curl: curlDecisions(env, urls),
    python: pythonDecisions(env, urls),
  };
  return list.map((probe, i) => {
    const actual = { go: results.go[i], curl: results.curl[i], python: results.python[i] };
    const mismatches: Client[] = [];
    const knownDisagreements: Client[] = [];
    for (const c of CLIENTS) {
      if (actual[c] === probe.expected) {
        continue;
      }
      if (probe.known?.[c]?.route === actual[c]) {
        knownDisagreements.push(c);
      } else {
        mismatches.push(c);
      }
    }
    return { probe, host: /^[a-z]+:\/\/([^/]+)/.exec(probe.url)![1], actual, mismatches, knownDisagreements };
  });
}

/** The table in Markdown. */
export function renderTable(title: string, rows: Row[]): string {
  const lines = [
    `### ${title}`,
    '',
    '| host | what | expected | Go | curl | Python | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const notes = new Map<string, number>();
  for (const r of rows) {
    let verdict = 'ok';
    if (r.mismatches.length > 0) {
      verdict = `**MISMATCH** (${r.mismatches.join(', ')})`;
    } else if (r.knownDisagreements.length > 0) {
      const why = r.knownDisagreements.map((c) => r.probe.known![c]!.why).join('; ');
      if (!notes.has(why)) {
        notes.set(why, notes.size + 1);
      }
      verdict = `known disagreement: ${r.knownDisagreements.join(', ')} [${notes.get(why)}]`;
    }
    const cell = (c: Client) => (r.actual[c] === r.probe.expected ? r.actual[c] : `**${r.actual[c]}**`);
    lines.push(
      `| \`${r.host}\` | ${r.probe.what} | ${r.probe.expected} | ${cell('go')} | ${cell('curl')} | ${cell('python')} | ${verdict} |`,
    );
  }
  if (notes.size > 0) {
    lines.push('');
    for (const [why, n] of notes) {
      lines.push(`[${n}] ${why}.`);
    }
  }
  return lines.join('\n') + '\n';
}

/** How one client spoke to a proxy given without a scheme. */
export interface SchemeProbe {
  readonly client: Client;
  /** What the client's decision reports as the proxy (Go: the URL it made of it; curl: none; Python: the raw value). */
  readonly decision: string;
  /** The first request line the proxy received: `CONNECT host:443 ...` means plain HTTP to the proxy. */
  readonly method: string;
  readonly target: string;
}

/**
 * Give each client an environment whose HTTPS_PROXY has no scheme and let it fetch an HTTPS URL
 * through a recording proxy in a private network namespace (support/scheme-probe.sh). A client that
 * took the value as an http:// proxy sends `CONNECT host:443`; one that took it as https:// would
 * start TLS, which the recording proxy logs as a binary first line.
 */
export function schemelessProxyProbe(env: Record<string, string>): SchemeProbe[] {
  requireRoot();
  requireTools('unshare', 'ip', 'mount', 'curl', 'go', PYTHON);
  const goBin = goProbe();
  const work = tempDir('scheme');
  try {
    const hosts: Record<Client, string> = {
      go: 'go.scheme-probe.example',
      curl: 'curl.scheme-probe.example',
      python: 'python.scheme-probe.example',
    };
    fs.writeFileSync(
      path.join(work, 'env'),
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
    );
    fs.writeFileSync(path.join(work, 'clients'), CLIENTS.map((c) => `${c} https://${hosts[c]}/`).join('\n') + '\n');
    const r = run('unshare', sandboxArgs('scheme-probe.sh', work, goBin), { env: stubsEnvironment(), timeout: 90_000 });
    if (r.status !== 0) {
      throw new Error(`scheme probe failed (${r.status ?? r.signal}): ${r.stderr}`);
    }
    const log = jsonLines(fs.readFileSync(path.join(work, 'proxy.log'), 'utf8'));
    const urls = CLIENTS.map((c) => `https://${hosts[c]}/`);
    const go = JSON.parse(
      runOk(goBin, ['decide', urls[0]], { env: { PATH: '/usr/bin:/bin', ...env }, timeout: 60_000 }),
    );
    const py = JSON.parse(
      runOk(PYTHON, [path.join(SUPPORT_DIR, 'urllib_decide.py'), urls[2]], {
        env: { PATH: '/usr/bin:/bin', ...env },
        timeout: 60_000,
      }),
    );
    return CLIENTS.map((client) => {
      // A TLS ClientHello would be logged as a binary "request line" that names no host we can match.
      const seen = log.find((e) => typeof e.target === 'string' && e.target.includes(hosts[client]));
      return {
        client,
        decision: client === 'go' ? go.proxy : client === 'python' ? py.proxy : '',
        method: seen ? String(seen.method) : '(no request line naming the host)',
        target: seen ? String(seen.target) : '',
      };
    });
  } finally {
    removeDir(work);
  }
}
