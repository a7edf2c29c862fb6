/**
 * The egress proxy's squid.conf run by the real Squid (Debian squid 5.7), in a private network namespace
 * (loopback plus two namespace-local addresses), with an origin server and a DNS recorder inside it.
 * Nothing leaves the namespace: it has no interface but lo, Squid resolves the test names from its
 * hosts_file and asks 127.0.0.1 (the recorder) for anything else. The pure renderer's own tests are in
 * test/squid-config.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { defaultEgressDomains } from '../../lib/egress/allowlist';
import { renderSquidConfig } from '../../lib/egress/squid-config';
import {
  Background,
  PYTHON,
  removeDir,
  requireRoot,
  requireTools,
  run,
  runOk,
  sandboxArgs,
  tempDir,
  waitFor,
} from './support/proc';
import { jsonLinesOf } from './support/json-lines';

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
  // Allowed names that resolve to private addresses (RFC 1918, shared address space, IPv6 unique local).
  'private.allowed.example': '10.1.2.3',
  'cgnat.allowed.example': '100.64.1.2',
  'ula.allowed.example': 'fd12:3456::7',
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
    return jsonLinesOf<LogEntry>(path.join(this.runDir, 'access.log'));
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
  function curl(
    proxyPort: number,
    url: string,
    opts: { tunnel?: boolean; from?: string; maxSeconds?: number } = {},
  ): Fetch {
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
        String(Math.min(5, opts.maxSeconds ?? 5)),
        '--max-time',
        String(opts.maxSeconds ?? 10),
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
    return jsonLinesOf(path.join(work, 'origin.log'));
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
    {
      what: 'an allowed name that resolves to a private (RFC 1918) address',
      url: 'http://private.allowed.example/',
      log: { method: 'GET' },
    },
    {
      what: 'a tunnel to an allowed name that resolves to a private (RFC 1918) address',
      url: 'http://private.allowed.example:443/',
      tunnel: true,
      log: { method: 'CONNECT', url: 'private.allowed.example:443' },
    },
    {
      what: 'an allowed name that resolves to the shared address space (100.64.0.0/10)',
      url: 'http://cgnat.allowed.example/',
      log: { method: 'GET' },
    },
    {
      what: 'an allowed name that resolves to an IPv6 unique local address (fc00::/7)',
      url: 'http://ula.allowed.example/',
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

  /**
   * What is wrong with how a proxy treats the DENIED requests (empty when all are refused); each curl
   * gives up after `maxSeconds` (default 10).
   */
  async function deniedProblems(squid: SquidInstance, maxSeconds?: number): Promise<string[]> {
    const before = squid.accessLog().length;
    const originBefore = originLog().length;
    const problems: string[] = [];
    const results = DENIED.map((d) => ({
      d,
      r: curl(squid.port, d.url, { tunnel: d.tunnel, from: d.from, maxSeconds }),
    }));
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

    holder = new Background('unshare', [...sandboxArgs('netns-holder.sh'), work, `${ORIGIN}/32`, `${OUTSIDER}/32`]);
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

  test('denied: names outside the allowlist, other ports, the proxy itself, IMDS, private addresses, IP URLs, other clients (403, TCP_DENIED)', async () => {
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
    // The broken proxy tries to resolve the unresolvable name and hangs on it: 3 s is enough to see
    // every other request get through (and that one counts as a problem too).
    const problems = await deniedProblems(broken, 3);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(
      /a name outside the allowlist \(http:\/\/www\.denied\.example\/\): expected 403, got 200/,
    );
    expect(problems.join('\n')).toMatch(/the origin was reached: .*www\.denied\.example/);
    // Without the private-destination rule, Squid tries the private address instead of refusing it.
    expect(problems.join('\n')).toMatch(
      /an allowed name that resolves to a private \(RFC 1918\) address \(http:\/\/private\.allowed\.example\/\): expected 403, got \d+/,
    );
  });
});
