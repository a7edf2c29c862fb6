/**
 * The egress proxy's squid.conf: the pure renderer, then the real Squid (Debian squid 5.7) running the
 * rendered file in a private network namespace (loopback plus two namespace-local addresses), with an
 * origin server and a DNS recorder inside it. Nothing leaves the namespace: it has no interface but lo,
 * Squid resolves the test names from its hosts_file and asks 127.0.0.1 (the recorder) for anything else.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  ACCESS_LOG_FORMAT_NAME,
  DEFAULT_SQUID_PATHS,
  renderSquidConfig,
  SquidConfigInput,
} from '../lib/egress/squid-config';
import {
  defaultEgressDomains,
  domainCovers,
  domainProblem,
  normaliseDomain,
  normaliseDomains,
} from '../lib/egress/allowlist';
import {
  Background,
  PYTHON,
  removeDir,
  requireRoot,
  requireTools,
  run,
  runOk,
  SUPPORT_DIR,
  tempDir,
  waitFor,
} from './real-clients/support/proc';

const R = '${Token[AWS.Region.4]}';
const S = '${Token[AWS.URLSuffix.9]}';

describe('allowlist entries', () => {
  test.each([
    ['*.Docker.IO.', '.docker.io'],
    ['  registry-1.docker.io ', 'registry-1.docker.io'],
    ['.quay.io', '.quay.io'],
    [`EC2.${R}.${S}`, `ec2.${R}.${S}`],
  ])('%s is written %s', (given, written) => {
    expect(normaliseDomain(given)).toBe(written);
  });

  test('token markers keep their case', () => {
    expect(normaliseDomain('S3.${Token[TOKEN.123]}.Example')).toBe('s3.${Token[TOKEN.123]}.example');
  });

  test.each([
    ['', /empty/],
    ['docker io', /white space/],
    ['https://registry-1.docker.io/v2', /URL/],
    ['quay.io:443', /port/],
    ['user@quay.io', /credentials/],
    ['10.0.0.1', /IP address/],
    ['fd00:ec2::254', /IP address/],
    ['.com', /whole top-level domain/],
    ['*', /not a DNS name/],
    ['registry.*.docker.io', /label '\*'/],
    ['-bad.example', /label '-bad'/],
    [`${'a'.repeat(64)}.example`, /label/],
    [`${'a.'.repeat(127)}example`, /1 to 253/],
  ])('%j is refused', (domain, message) => {
    expect(domainProblem(domain)).toMatch(message);
  });

  test.each([
    'registry-1.docker.io',
    '.docker.io',
    '*.quay.io',
    'localhost',
    'a_b.example',
    `ec2.${R}.${S}`,
    '${Token[TOKEN.7]}',
  ])('%s is accepted', (domain) => {
    expect(domainProblem(domain)).toBeUndefined();
  });

  test('duplicates and entries a wildcard already covers are dropped; wildcards come first, broadest first', () => {
    expect(
      normaliseDomains([
        'registry-1.docker.io',
        'docker.io',
        '.Docker.io',
        'ghcr.io',
        '.b.quay.io',
        '*.quay.io',
        'ghcr.io',
        '.x.y.example',
      ]),
    ).toEqual(['.docker.io', '.quay.io', '.x.y.example', 'ghcr.io']);
  });

  test('overlaps between identical token markers are resolved at synth time', () => {
    expect(normaliseDomains([`.s3.${R}.${S}`, `prod-${R}-starport-layer-bucket.s3.${R}.${S}`, `s3.${R}.${S}`])).toEqual(
      [`.s3.${R}.${S}`],
    );
    expect(domainCovers('.docker.io', 'docker.io')).toBe(true);
    expect(domainCovers('.docker.io', '.docker.io')).toBe(false);
    expect(domainCovers('docker.io', 'a.docker.io')).toBe(false);
    expect(domainCovers('.docker.io', 'adocker.io')).toBe(false);
  });
});

describe('default egress domains', () => {
  test('the regional AWS APIs EKS nodes call, and no public registry', () => {
    expect(defaultEgressDomains('us-east-1', 'amazonaws.com')).toEqual([
      'ec2.us-east-1.amazonaws.com',
      'sts.us-east-1.amazonaws.com',
      'api.ecr.us-east-1.amazonaws.com',
      '.dkr.ecr.us-east-1.amazonaws.com',
      '.s3.us-east-1.amazonaws.com',
      '.s3.dualstack.us-east-1.amazonaws.com',
      'eks.us-east-1.amazonaws.com',
      'eks-auth.us-east-1.api.aws',
      'ssm.us-east-1.amazonaws.com',
      'ssmmessages.us-east-1.amazonaws.com',
      'ec2messages.us-east-1.amazonaws.com',
      'logs.us-east-1.amazonaws.com',
      'cloudformation.us-east-1.amazonaws.com',
    ]);
  });

  test("China: amazonaws.com.cn, and EKS Auth on the partition's dual-stack suffix", () => {
    const cn = defaultEgressDomains('cn-northwest-1', 'amazonaws.com.cn');
    expect(cn).toContain('ec2.cn-northwest-1.amazonaws.com.cn');
    expect(cn).toContain('eks-auth.cn-northwest-1.api.amazonwebservices.com.cn');
    expect(
      cn.filter((d) => !d.startsWith('eks-auth.')).every((d) => d.endsWith('.cn-northwest-1.amazonaws.com.cn')),
    ).toBe(true);
  });

  test('tokens pass through, and every default is a valid, non-overlapping entry', () => {
    const tokens = defaultEgressDomains(R, S);
    expect(tokens).toContain(`.dkr.ecr.${R}.${S}`);
    expect(tokens).toContain(`eks-auth.${R}.api.aws`);
    const concrete = defaultEgressDomains('eu-west-1', 'amazonaws.com');
    concrete.forEach((d) => expect(domainProblem(d)).toBeUndefined());
    expect(normaliseDomains(concrete)).toHaveLength(concrete.length);
    expect(concrete.join(' ')).not.toMatch(/docker|quay|ghcr|public\.ecr\.aws/);
  });
});

describe('renderSquidConfig', () => {
  const input: SquidConfigInput = {
    port: 3128,
    allowedCidrs: ['10.0.0.0/16', '${Token[TOKEN.55]}'],
    allowedDomains: ['.docker.io', 'registry-1.docker.io', ...defaultEgressDomains(R, S)],
  };
  const conf = renderSquidConfig(input);
  const lines = conf.split('\n');
  const access = lines.filter((l) => l.startsWith('http_access '));

  test('one allow rule: client in the allowed CIDRs AND destination in the allowlist; deny all last', () => {
    expect(access.filter((l) => l.startsWith('http_access allow'))).toEqual([
      'http_access allow egress_clients egress_domains',
    ]);
    expect(access[access.length - 1]).toBe('http_access deny all');
    expect(lines).toContain('acl egress_clients src 10.0.0.0/16 ${Token[TOKEN.55]}');
  });

  test('only ports 80 and 443, CONNECT only to 443, refused before the allow rule', () => {
    expect(lines).toContain('acl Safe_ports port 80 443');
    expect(lines).toContain('acl SSL_ports port 443');
    const allow = access.indexOf('http_access allow egress_clients egress_domains');
    expect(access.indexOf('http_access deny !Safe_ports')).toBeLessThan(allow);
    expect(access.indexOf('http_access deny CONNECT !SSL_ports')).toBeLessThan(allow);
  });

  test('names outside the allowlist are refused before any rule that needs DNS (dst ACLs)', () => {
    const firstDst = Math.min(
      access.indexOf('http_access deny to_localhost'),
      access.indexOf('http_access deny egress_link_local'),
    );
    expect(access.indexOf('http_access deny !egress_domains')).toBeLessThan(firstDst);
    expect(access.indexOf('http_access deny !egress_clients')).toBeLessThan(firstDst);
    expect(lines).toContain('acl egress_link_local dst 169.254.0.0/16 fe80::/10 fd00:ec2::/32');
  });

  test('no cache, no Via, no X-Forwarded-For, no version string', () => {
    for (const l of ['cache deny all', 'forwarded_for delete', 'via off', 'httpd_suppress_version_string on']) {
      expect(lines).toContain(l);
    }
  });

  test('the allowlist is normalised, with tokens passed through, and nothing else is allowed', () => {
    const domains = lines
      .filter((l) => l.startsWith('acl egress_domains dstdomain -n '))
      .flatMap((l) => l.split(' ').slice(4));
    expect(domains).toEqual(normaliseDomains(input.allowedDomains));
    expect(domains).toContain('.docker.io');
    expect(domains).not.toContain('registry-1.docker.io');
    expect(domains).toContain(`.s3.dualstack.${R}.${S}`);
  });

  test('production paths by default; a JSON access log', () => {
    expect(lines).toContain(`access_log stdio:${DEFAULT_SQUID_PATHS.accessLog} logformat=${ACCESS_LOG_FORMAT_NAME}`);
    expect(lines).toContain('cache_log /var/log/squid/cache.log');
    expect(lines).toContain('pid_filename /run/squid.pid');
    expect(lines).toContain('coredump_dir /var/spool/squid');
    expect(conf).not.toMatch(/cache_effective_user|hosts_file|dns_nameservers/);
    const format = lines.find((l) => l.startsWith(`logformat ${ACCESS_LOG_FORMAT_NAME} `))!;
    expect(format).toMatch(/^logformat \S+ \{"time":"%\{%Y-%m-%dT%H:%M:%S\}tg\.%03tuZ",/);
  });

  test('paths, user, hosts file and resolvers can be pointed elsewhere (tests)', () => {
    const other = renderSquidConfig({
      ...input,
      paths: {
        accessLog: '/tmp/x/access.log',
        cacheLog: '/tmp/x/cache.log',
        pidFile: '/tmp/x/squid.pid',
        coredumpDir: '/tmp/x',
      },
      effectiveUser: 'proxy',
      hostsFile: '/tmp/x/hosts',
      dnsNameservers: ['127.0.0.1'],
    }).split('\n');
    for (const l of [
      'access_log stdio:/tmp/x/access.log logformat=cdk_private_eks_json',
      'cache_log /tmp/x/cache.log',
      'pid_filename /tmp/x/squid.pid',
      'coredump_dir /tmp/x',
      'cache_effective_user proxy',
      'hosts_file /tmp/x/hosts',
      'dns_nameservers 127.0.0.1',
    ]) {
      expect(other).toContain(l);
    }
  });

  test('empty lists are refused', () => {
    expect(() => renderSquidConfig({ ...input, allowedDomains: [] })).toThrow(/allowedDomains is empty/);
    expect(() => renderSquidConfig({ ...input, allowedCidrs: [] })).toThrow(/allowedCidrs is empty/);
  });
});

// ---------------------------------------------------------------------------------------------------
// The real Squid.

/** The origin server's address: exists only inside the namespace. */
const ORIGIN = '198.51.100.10';
/** A client address outside the allowed 127.0.0.0/8. */
const OUTSIDER = '203.0.113.7';
const PORT = 3128;
const BROKEN_PORT = 3129;

/** Names Squid resolves from its hosts_file. */
const SQUID_HOSTS: Record<string, string> = {
  'www.allowed.example': ORIGIN,
  'allowed.example': ORIGIN,
  'ec2.us-east-1.amazonaws.com': ORIGIN,
  '123456789012.dkr.ecr.us-east-1.amazonaws.com': ORIGIN,
  'prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com': ORIGIN,
  'eks-auth.us-east-1.api.aws': ORIGIN,
  // Denied, but resolvable, so that a broken configuration would reach the origin (200).
  'www.denied.example': ORIGIN,
  'lambda.us-east-1.amazonaws.com': ORIGIN,
  'registry-1.docker.io': ORIGIN,
  // Allowed names that resolve to the proxy itself or to IMDS.
  'loopback.allowed.example': '127.0.0.2',
  'imds.allowed.example': '169.254.169.254',
};
/** A denied name in no hosts file: resolving it would send a DNS query, which the recorder would see. */
const UNRESOLVED_DENIED = 'leak.denied.example';

const ORIGIN_SCRIPT = `
import json, socket, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
addr, log, ready, lifetime = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
ports = [int(p) for p in sys.argv[5].split(',')]
lock = threading.Lock()
def write(entry):
    with lock, open(log, 'a') as f:
        f.write(json.dumps(entry) + '\\n')
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        host = self.headers.get('Host', '')
        write({'kind': 'http', 'host': host, 'port': self.server.server_address[1], 'peer': self.client_address[0],
               'headers': {k.lower(): v for k, v in self.headers.items()}})
        body = ('origin-ok ' + host + '\\n').encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
for port in ports:
    server = ThreadingHTTPServer((addr, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(('127.0.0.1', 53))
def dns():
    while True:
        data, _ = udp.recvfrom(4096)
        i, labels = 12, []
        while i < len(data) and data[i] != 0:
            n = data[i]
            labels.append(data[i + 1:i + 1 + n].decode('ascii', 'replace'))
            i += 1 + n
        write({'kind': 'dns', 'name': '.'.join(labels)})
threading.Thread(target=dns, daemon=True).start()
open(ready, 'w').close()
threading.Event().wait(lifetime)
`;

interface Fetch {
  readonly status: number;
  readonly connect: number;
  readonly body: string;
  readonly error: string;
}

interface LogEntry {
  readonly time: string;
  readonly client: string;
  readonly method: string;
  readonly url: string;
  readonly status: string;
  readonly result: string;
  readonly hierarchy: string;
  readonly server: string;
}

/** A Squid of its own (config, run dir owned by user proxy), started inside the namespace. */
class SquidInstance {
  public readonly runDir: string;
  public readonly conf: string;
  public process?: Background;

  constructor(
    work: string,
    name: string,
    public readonly port: number,
    transform: (conf: string) => string = (c) => c,
  ) {
    this.runDir = path.join(work, name);
    fs.mkdirSync(this.runDir);
    const uid = Number(runOk('id', ['-u', 'proxy']).trim());
    const gid = Number(runOk('id', ['-g', 'proxy']).trim());
    fs.chownSync(this.runDir, uid, gid);
    this.conf = path.join(work, `${name}.conf`);
    fs.writeFileSync(
      this.conf,
      transform(
        renderSquidConfig({
          port,
          allowedCidrs: ['127.0.0.0/8'],
          allowedDomains: ['.allowed.example', ...defaultEgressDomains('us-east-1', 'amazonaws.com')],
          paths: {
            accessLog: path.join(this.runDir, 'access.log'),
            cacheLog: path.join(this.runDir, 'cache.log'),
            pidFile: path.join(this.runDir, 'squid.pid'),
            coredumpDir: this.runDir,
          },
          effectiveUser: 'proxy',
          hostsFile: path.join(work, 'squid-hosts'),
          dnsNameservers: ['127.0.0.1'],
        }),
      ),
    );
  }

  public async start(nsArgs: string[]): Promise<void> {
    this.process = new Background('nsenter', [...nsArgs, 'squid', '-N', '-f', this.conf]);
    const cacheLog = path.join(this.runDir, 'cache.log');
    const log = () => (fs.existsSync(cacheLog) ? fs.readFileSync(cacheLog, 'utf8') : '');
    try {
      await waitFor(
        `Squid on port ${this.port} to accept connections`,
        () => /Accepting HTTP Socket connections/.test(log()) || this.process!.child.exitCode !== null,
        30_000,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}:\n${this.process.output}\n${log()}`, { cause: e });
    }
    if (this.process.child.exitCode !== null) {
      throw new Error(`Squid exited ${this.process.child.exitCode}: ${this.process.output}\n${log()}`);
    }
  }

  /** The access log, one JSON object a line (a line that is not JSON fails the test). */
  public accessLog(): LogEntry[] {
    const f = path.join(this.runDir, 'access.log');
    return fs.existsSync(f)
      ? fs
          .readFileSync(f, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
  }
}

/** `squid -k parse`: exit status and the ERROR/FATAL lines. */
function parse(conf: string): { status: number | null; errors: string[]; output: string } {
  const r = run('squid', ['-k', 'parse', '-f', conf], { timeout: 30_000 });
  const output = r.stdout + r.stderr;
  return { status: r.status, errors: output.split('\n').filter((l) => /\b(ERROR|FATAL)\b/.test(l)), output };
}

describe('the real Squid runs the rendered configuration', () => {
  let work: string;
  let holder: Background | undefined;
  let origin: Background | undefined;
  let nsPid: number;
  let good: SquidInstance;
  let broken: SquidInstance;

  const nsArgs = () => ['-t', String(nsPid), '--net', '--mount', '--pid'];

  /** curl through a proxy, inside the namespace; `tunnel` sends a CONNECT even for http:// URLs. */
  function curl(proxyPort: number, url: string, opts: { tunnel?: boolean; from?: string } = {}): Fetch {
    const proxyHost = opts.from ?? '127.0.0.1';
    const r = run(
      'nsenter',
      [
        ...nsArgs(),
        'env',
        '-i',
        'PATH=/usr/bin:/bin',
        'curl',
        '-q',
        '-sS',
        '--noproxy',
        '',
        '-x',
        `http://${proxyHost}:${proxyPort}`,
        ...(opts.tunnel ? ['-p'] : []),
        ...(opts.from ? ['--interface', opts.from] : []),
        '--connect-timeout',
        '5',
        '--max-time',
        '10',
        '-w',
        '\n%{http_code} %{http_connect}',
        url,
      ],
      { timeout: 20_000 },
    );
    const out = r.stdout.split('\n');
    const [code, connect] = (out.pop() ?? '').split(' ').map(Number);
    return {
      status: code,
      connect,
      body: out.join('\n'),
      error: r.status === 0 ? '' : `exit ${r.status}: ${r.stderr.trim()}`,
    };
  }

  function originLog(): any[] {
    const f = path.join(work, 'origin.log');
    return fs.existsSync(f)
      ? fs
          .readFileSync(f, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
  }

  /** Requests that must be refused, each with the access-log line it must leave. */
  const DENIED: Array<{ what: string; url: string; tunnel?: boolean; from?: string; log: Partial<LogEntry> }> = [
    {
      what: 'a name outside the allowlist',
      url: 'http://www.denied.example/',
      log: { method: 'GET', url: 'http://www.denied.example/' },
    },
    {
      what: 'a tunnel to a name outside the allowlist',
      url: 'http://www.denied.example:443/',
      tunnel: true,
      log: { method: 'CONNECT', url: 'www.denied.example:443' },
    },
    {
      what: 'an AWS API that is not a default (lambda)',
      url: 'http://lambda.us-east-1.amazonaws.com/',
      log: { method: 'GET' },
    },
    {
      what: 'a public registry not added by the user',
      url: 'http://registry-1.docker.io:443/',
      tunnel: true,
      log: { method: 'CONNECT', url: 'registry-1.docker.io:443' },
    },
    { what: 'an unresolvable name outside the allowlist', url: `http://${UNRESOLVED_DENIED}/`, log: { method: 'GET' } },
    {
      what: 'a CONNECT to an allowed name on port 8443',
      url: 'http://www.allowed.example:8443/',
      tunnel: true,
      log: { method: 'CONNECT', url: 'www.allowed.example:8443' },
    },
    {
      what: 'plain HTTP to an allowed name on port 8080',
      url: 'http://www.allowed.example:8080/',
      log: { method: 'GET' },
    },
    {
      what: 'an allowed name that resolves to the proxy itself',
      url: 'http://loopback.allowed.example/',
      log: { method: 'GET' },
    },
    {
      what: 'an allowed name that resolves to IMDS',
      url: 'http://imds.allowed.example/latest/meta-data/',
      log: { method: 'GET' },
    },
    { what: 'an IP address URL', url: `http://${ORIGIN}/`, log: { method: 'GET' } },
    {
      what: 'a client outside the allowed CIDRs',
      url: 'http://www.allowed.example/',
      from: OUTSIDER,
      log: { method: 'GET', client: OUTSIDER },
    },
  ];

  /** What is wrong with how a proxy treats the DENIED requests (empty when all are refused). */
  async function deniedProblems(squid: SquidInstance): Promise<string[]> {
    const before = squid.accessLog().length;
    const originBefore = originLog().length;
    const problems: string[] = [];
    const results = DENIED.map((d) => ({ d, r: curl(squid.port, d.url, { tunnel: d.tunnel, from: d.from }) }));
    await waitFor(
      'access.log lines of the denied requests',
      () => squid.accessLog().length >= before + DENIED.length,
      5_000,
    ).catch(() => undefined);
    const entries = squid.accessLog().slice(before);
    for (const { d, r } of results) {
      const status = d.tunnel ? r.connect : r.status;
      if (status !== 403) {
        problems.push(
          `${d.what} (${d.url}): expected 403, got ${status} ${r.body.trim().split('\n')[0].slice(0, 80)} ${r.error}`.trim(),
        );
      }
      const want = { result: 'TCP_DENIED', status: '403', ...d.log };
      if (!entries.some((e) => Object.entries(want).every(([k, v]) => (e as any)[k] === v))) {
        problems.push(`${d.what}: no access.log line with ${JSON.stringify(want)}`);
      }
    }
    const reached = originLog()
      .slice(originBefore)
      .filter((o) => o.kind === 'http');
    if (reached.length > 0) {
      problems.push(`the origin was reached: ${reached.map((o) => `${o.host}:${o.port}`).join(', ')}`);
    }
    return problems;
  }

  beforeAll(async () => {
    // Fail loudly, naming the Debian packages, rather than skip.
    requireTools('squid', 'curl', 'unshare', 'nsenter', 'ip', 'mount', PYTHON);
    requireRoot();
    work = tempDir('egress-squid');
    fs.chmodSync(work, 0o755);
    // The machine's own name too: Squid looks it up at start (Debian's 127.0.1.1 convention).
    fs.writeFileSync(
      path.join(work, 'hosts'),
      `127.0.0.1 localhost\n127.0.1.1 ${os.hostname()}\n::1 localhost ip6-localhost ip6-loopback\n`,
    );
    fs.writeFileSync(path.join(work, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    fs.writeFileSync(
      path.join(work, 'squid-hosts'),
      Object.entries(SQUID_HOSTS)
        .map(([n, a]) => `${a} ${n}`)
        .join('\n') + '\n',
    );
    fs.writeFileSync(path.join(work, 'origin.py'), ORIGIN_SCRIPT);
    good = new SquidInstance(work, 'good', PORT);
    // The broken variant: an `http_access allow all` before the rules.
    broken = new SquidInstance(work, 'broken', BROKEN_PORT, (c) =>
      c.replace(/^http_access /m, 'http_access allow all\nhttp_access '),
    );

    holder = new Background('unshare', [
      '--net',
      '--mount',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount-proc',
      '--propagation',
      'private',
      'bash',
      path.join(SUPPORT_DIR, 'netns-holder.sh'),
      work,
      `${ORIGIN}/32`,
      `${OUTSIDER}/32`,
    ]);
    await waitFor(
      'the namespace',
      () => fs.existsSync(path.join(work, 'ns.ready')) || holder!.child.exitCode !== null,
      10_000,
    );
    if (!fs.existsSync(path.join(work, 'ns.ready'))) {
      throw new Error(`namespace holder failed: ${holder.output}`);
    }
    nsPid = Number(fs.readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, 'utf8').trim().split(/\s+/)[0]);

    origin = new Background('nsenter', [
      ...nsArgs(),
      PYTHON,
      path.join(work, 'origin.py'),
      ORIGIN,
      path.join(work, 'origin.log'),
      path.join(work, 'origin.ready'),
      '300',
      '80,443,8080,8443',
    ]);
    await waitFor(
      'the origin server',
      () => fs.existsSync(path.join(work, 'origin.ready')) || origin!.child.exitCode !== null,
      10_000,
    );
    if (!fs.existsSync(path.join(work, 'origin.ready'))) {
      throw new Error(`origin server failed: ${origin.output}`);
    }
    await good.start(nsArgs());
    await broken.start(nsArgs());
  }, 90_000);

  afterAll(async () => {
    // SIGKILL to unshare: --kill-child kills the namespace's PID 1, and with it Squid and the origin.
    holder?.child.kill('SIGKILL');
    await Promise.all([holder?.stop(1000), good?.process?.stop(2000), broken?.process?.stop(2000), origin?.stop(1000)]);
    removeDir(work);
  });

  test('squid -k parse accepts the test configuration and the production ones, with no ERROR or FATAL line', () => {
    const production = path.join(work, 'production.conf');
    const china = path.join(work, 'china.conf');
    fs.writeFileSync(
      production,
      renderSquidConfig({
        port: 3128,
        allowedCidrs: ['10.0.0.0/16'],
        allowedDomains: [
          '.docker.io',
          'registry-1.docker.io',
          '.quay.io',
          ...defaultEgressDomains('us-east-1', 'amazonaws.com'),
        ],
      }),
    );
    fs.writeFileSync(
      china,
      renderSquidConfig({
        port: 3128,
        allowedCidrs: ['172.25.0.0/16'],
        allowedDomains: defaultEgressDomains('cn-northwest-1', 'amazonaws.com.cn'),
      }),
    );
    for (const conf of [good.conf, production, china]) {
      const result = parse(conf);
      expect({ conf: path.basename(conf), status: result.status, errors: result.errors }).toEqual({
        conf: path.basename(conf),
        status: 0,
        errors: [],
      });
    }
  });

  test('the check can fail: Squid refuses a list holding both x and .x, which the renderer never writes', () => {
    const raw = path.join(work, 'overlap.conf');
    fs.writeFileSync(
      raw,
      fs.readFileSync(good.conf, 'utf8').replace(/^acl egress_domains dstdomain -n /m, '$&allowed.example '),
    );
    const result = parse(raw);
    expect(result.status).not.toBe(0);
    expect(result.errors.join('\n')).toMatch(/FATAL: Bungled/);
  });

  test('an allowed name passes (200 from the origin), and access.log says so in JSON', async () => {
    const before = good.accessLog().length;
    const plain = curl(PORT, 'http://www.allowed.example/');
    const apex = curl(PORT, 'http://allowed.example/');
    const tunnel = curl(PORT, 'http://www.allowed.example:443/', { tunnel: true });
    expect([plain.status, plain.body.trim(), plain.error]).toEqual([200, 'origin-ok www.allowed.example', '']);
    expect([apex.status, apex.body.trim()]).toEqual([200, 'origin-ok allowed.example']);
    expect([tunnel.connect, tunnel.status, tunnel.body.trim()]).toEqual([
      200,
      200,
      'origin-ok www.allowed.example:443',
    ]);
    // Squid writes a tunnel's line when it closes.
    await waitFor('access.log lines', () => good.accessLog().length >= before + 3, 5_000);
    const entries = good.accessLog().slice(before);
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          method: 'GET',
          url: 'http://www.allowed.example/',
          status: '200',
          result: 'TCP_MISS',
          hierarchy: 'HIER_DIRECT',
          server: ORIGIN,
          client: '127.0.0.1',
        }),
        expect.objectContaining({
          method: 'GET',
          url: 'http://allowed.example/',
          status: '200',
          hierarchy: 'HIER_DIRECT',
        }),
        expect.objectContaining({
          method: 'CONNECT',
          url: 'www.allowed.example:443',
          status: '200',
          result: 'TCP_TUNNEL',
          hierarchy: 'HIER_DIRECT',
          server: ORIGIN,
        }),
      ]),
    );
    entries.forEach((e) => expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/));
  });

  test('the default AWS names for us-east-1 pass (ECR registry, ECR layers in S3, EC2, EKS Auth)', async () => {
    const results = [
      curl(PORT, 'http://ec2.us-east-1.amazonaws.com/'),
      curl(PORT, 'http://123456789012.dkr.ecr.us-east-1.amazonaws.com:443/', { tunnel: true }),
      curl(PORT, 'http://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com:443/', { tunnel: true }),
      curl(PORT, 'http://eks-auth.us-east-1.api.aws:443/', { tunnel: true }),
    ];
    expect(results.map((r) => [r.status, r.body.trim().split(' ')[0], r.error])).toEqual(
      results.map(() => [200, 'origin-ok', '']),
    );
  });

  test('nothing identifies the clients or Squid to the origin: no Via, no X-Forwarded-For', () => {
    const seen = originLog().filter((o) => o.kind === 'http' && o.host === 'www.allowed.example');
    expect(seen.length).toBeGreaterThan(0);
    for (const o of seen) {
      expect(Object.keys(o.headers)).not.toEqual(expect.arrayContaining(['via']));
      expect(Object.keys(o.headers)).not.toEqual(expect.arrayContaining(['x-forwarded-for']));
      expect(Object.keys(o.headers)).not.toEqual(expect.arrayContaining(['forwarded']));
    }
  });

  test('denied: names outside the allowlist, other ports, the proxy itself, IMDS, IP URLs, other clients (403, TCP_DENIED)', async () => {
    expect(await deniedProblems(good)).toEqual([]);
  });

  test('a name outside the allowlist is never resolved: no DNS query leaves Squid for it', async () => {
    curl(PORT, `http://${UNRESOLVED_DENIED}/`);
    curl(PORT, `http://${UNRESOLVED_DENIED}:443/`, { tunnel: true });
    await new Promise((r) => setTimeout(r, 300));
    const queries = originLog()
      .filter((o) => o.kind === 'dns')
      .map((o) => o.name);
    expect(queries).not.toContain(UNRESOLVED_DENIED);
  });

  test('the check can fail: with `http_access allow all` injected, the denied requests get through', async () => {
    const brokenConf = fs.readFileSync(broken.conf, 'utf8');
    expect(brokenConf.split('\n').filter((l) => l.startsWith('http_access'))[0]).toBe('http_access allow all');
    const problems = await deniedProblems(broken);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(
      /a name outside the allowlist \(http:\/\/www\.denied\.example\/\): expected 403, got 200/,
    );
    expect(problems.join('\n')).toMatch(/the origin was reached: .*www\.denied\.example/);
  });
});
