/**
 * A real Squid on the path, all inside one private network namespace: Squid on 127.0.0.1:3128 with
 * a domain allowlist and its own hosts_file, an HTTP(S) origin server on every namespace-local
 * address, a private /etc/hosts for clients going direct, and DNS on 127.0.0.1 where nothing
 * answers. Nothing can leave the namespace: it has no interface but lo.
 *
 * The same Squid also listens on 127.0.0.1:3129 where it demands Basic proxy authentication
 * (basic_ncsa_auth, Debian's squid package, against an htpasswd file made with `openssl passwd -apr1`):
 * a request without valid credentials gets 407, an authenticated one is logged with its user name.
 */
import * as fs from 'fs';
import * as path from 'path';
import { goProbe, goStubs } from './go-programs';
import { newP256Key } from './openssl';
import {
  Background,
  PYTHON,
  removeDir,
  requireRoot,
  requireTools,
  run,
  runOk,
  sandboxArgs,
  SUPPORT_DIR,
  tempDir,
  waitFor,
} from './proc';
import { jsonLines, jsonLinesOf } from './json-lines';

export const SQUID_ADDRESS = '127.0.0.1:3128';
/** Where Squid demands proxy authentication. */
export const SQUID_AUTH_ADDRESS = '127.0.0.1:3129';
/** Squid's Basic authentication helper for htpasswd files (Debian package squid). */
export const BASIC_NCSA_AUTH = '/usr/lib/squid/basic_ncsa_auth';
/** Where names that go through Squid resolve, in Squid's hosts_file. */
export const VIA_SQUID_ADDRESS = '127.0.0.2';
/** Where NO_PROXY names resolve, in the clients' /etc/hosts. */
export const DIRECT_ADDRESS = '127.0.0.3';

export interface SquidLabOptions {
  /** Domains Squid allows (dstdomain syntax: a leading dot includes subdomains). */
  readonly allowedDomains: string[];
  /** Names Squid resolves (to VIA_SQUID_ADDRESS): allowed and denied public names. */
  readonly squidNames: string[];
  /** Names the clients resolve themselves (to DIRECT_ADDRESS): the NO_PROXY hosts. */
  readonly directNames: string[];
  /** Extra addresses for lo, e.g. 169.254.169.254/32 for IMDS. */
  readonly extraAddresses: string[];
  /** The one user (and password) the authenticating port accepts. */
  readonly proxyUser: { readonly username: string; readonly password: string };
}

export interface FetchResult {
  readonly url: string;
  readonly status: number;
  readonly body: string;
  readonly error: string;
}

export interface AccessLogEntry {
  readonly line: string;
  readonly code: string;
  readonly status: number;
  readonly method: string;
  readonly url: string;
  /** The authenticated user name, `-` when none. */
  readonly user: string;
  readonly hierarchy: string;
}

/** Parse Squid's native access.log format. */
export function parseAccessLog(text: string): AccessLogEntry[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const f = line.trim().split(/\s+/);
      const [code, status] = f[3].split('/');
      return { line, code, status: Number(status), method: f[5], url: f[6], user: f[7], hierarchy: f[8] };
    });
}

export class SquidLab {
  public readonly work: string;
  public readonly caFile: string;
  private holder?: Background;
  private squid?: Background;
  private upstream?: Background;
  private nsPid?: number;

  constructor(private readonly opts: SquidLabOptions) {
    requireRoot();
    requireTools('unshare', 'nsenter', 'ip', 'mount', 'squid', BASIC_NCSA_AUTH, 'openssl', 'curl', PYTHON);
    this.work = tempDir('squid');
    fs.chmodSync(this.work, 0o755);
    this.caFile = path.join(this.work, 'ca.pem');
  }

  /** Start the namespace, the origin server and Squid; resolves when Squid accepts connections. */
  public async start(): Promise<void> {
    const w = this.work;
    this.makeCertificates();
    fs.writeFileSync(
      path.join(w, 'hosts'),
      [
        '127.0.0.1 localhost',
        '::1 localhost ip6-localhost ip6-loopback',
        ...this.opts.directNames.map((n) => `${DIRECT_ADDRESS} ${n}`),
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(w, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    fs.writeFileSync(
      path.join(w, 'squid-hosts'),
      this.opts.squidNames.map((n) => `${VIA_SQUID_ADDRESS} ${n}`).join('\n') + '\n',
    );
    // htpasswd file: the password goes to openssl on stdin, never on a command line.
    const { username, password } = this.opts.proxyUser;
    const hash = runOk('openssl', ['passwd', '-apr1', '-stdin'], { input: password, timeout: 30_000 }).trim();
    fs.writeFileSync(path.join(w, 'squid-passwd'), `${username}:${hash}\n`, { mode: 0o644 });

    const runDir = path.join(w, 'squid-run');
    fs.mkdirSync(runDir);
    const uid = Number(runOk('id', ['-u', 'proxy']).trim());
    const gid = Number(runOk('id', ['-g', 'proxy']).trim());
    fs.chownSync(runDir, uid, gid);
    fs.writeFileSync(path.join(w, 'squid.conf'), this.squidConf(runDir));
    const parse = run('squid', ['-k', 'parse', '-f', path.join(w, 'squid.conf')], { timeout: 30_000 });
    if (parse.status !== 0) {
      throw new Error(`squid -k parse failed:\n${parse.stderr}`);
    }

    this.holder = new Background('unshare', [...sandboxArgs('netns-holder.sh'), w, ...this.opts.extraAddresses]);
    await waitFor(
      'the namespace',
      () => fs.existsSync(path.join(w, 'ns.ready')) || this.holder!.child.exitCode !== null,
      10_000,
    );
    if (!fs.existsSync(path.join(w, 'ns.ready'))) {
      throw new Error(`namespace holder failed: ${this.holder.output}`);
    }
    const children = fs
      .readFileSync(`/proc/${this.holder.pid}/task/${this.holder.pid}/children`, 'utf8')
      .trim()
      .split(/\s+/);
    this.nsPid = Number(children[0]);

    this.upstream = new Background('nsenter', [
      ...this.nsArgs(),
      goStubs(),
      'upstream',
      '--bind',
      '0.0.0.0',
      '--http-port',
      '80',
      '--https-port',
      '443',
      '--cert',
      path.join(w, 'server.pem'),
      '--key',
      path.join(w, 'server.key'),
      '--log',
      path.join(w, 'upstream.log'),
      '--ready',
      path.join(w, 'upstream.ready'),
      '--lifetime',
      '300',
    ]);
    await waitFor('the origin server', () => fs.existsSync(path.join(w, 'upstream.ready')), 10_000);

    this.squid = new Background('nsenter', [...this.nsArgs(), 'squid', '-N', '-f', path.join(w, 'squid.conf')]);
    const cacheLog = path.join(runDir, 'cache.log');
    await waitFor(
      'Squid to accept connections',
      () => fs.existsSync(cacheLog) && /Accepting HTTP Socket connections/.test(fs.readFileSync(cacheLog, 'utf8')),
      30_000,
    );
  }

  /** Stop everything (the namespace's PID 1 takes every process of the namespace with it). */
  public async stop(): Promise<void> {
    // SIGKILL to unshare: --kill-child SIGKILLs the namespace's PID 1, and the kernel then kills
    // every process of the namespace (Squid, the origin server); their nsenter parents exit.
    this.holder?.child.kill('SIGKILL');
    await Promise.all([this.holder?.stop(1000), this.squid?.stop(2000), this.upstream?.stop(1000)]);
    removeDir(this.work);
  }

  /** Squid's access.log so far. */
  public accessLog(): AccessLogEntry[] {
    const f = path.join(this.work, 'squid-run', 'access.log');
    return fs.existsSync(f) ? parseAccessLog(fs.readFileSync(f, 'utf8')) : [];
  }

  /** The origin server's log so far: one entry per request it answered. */
  public upstreamLog(): Array<{ scheme: string; host: string; local: string; peer: string; path: string }> {
    return jsonLinesOf(path.join(this.work, 'upstream.log'));
  }

  /**
   * curl, configured only by `env` (plus the test CA), inside the namespace: one process for all the URLs, as
   * Go and Python are run (curl reads the environment once and fetches the URLs in turn, each with its own
   * connection unless it goes to the same host or proxy; an error ends one transfer, not the run). After each
   * transfer `-w` writes a marker line with its status, exit code and error message, so the bodies come apart.
   */
  public curl(env: Record<string, string>, urls: string[]): FetchResult[] {
    const r = run(
      'nsenter',
      this.clientArgs(['PATH=/usr/bin:/bin', `HOME=${this.work}`, `CURL_CA_BUNDLE=${this.caFile}`], env, [
        'curl',
        '-q',
        '-s',
        '--connect-timeout',
        '5',
        '--max-time',
        '10',
        '-w',
        `\n${CURL_MARKER} %{http_code} %{exitcode} %{errormsg}\n`,
        ...urls,
      ]),
      { timeout: fetchTimeout(urls) },
    );
    const results = parseCurlTransfers(r.stdout, urls);
    if (results === undefined) {
      throw new Error(`curl did not report ${urls.length} transfers (${r.status ?? r.signal}): ${r.stdout}${r.stderr}`);
    }
    return results;
  }

  /** Python's urllib, configured only by `env` (plus the test CA), inside the namespace. */
  public python(env: Record<string, string>, urls: string[]): FetchResult[] {
    const args = this.clientArgs(['PATH=/usr/bin:/bin', `SSL_CERT_FILE=${this.caFile}`], env, [
      PYTHON,
      path.join(SUPPORT_DIR, 'urllib_fetch.py'),
      ...urls,
    ]);
    return jsonLines<FetchResult>(runOk('nsenter', args, { timeout: fetchTimeout(urls) }));
  }

  /** Go's net/http (http.DefaultTransport), configured only by `env` (plus the test CA), inside the namespace. */
  public go(env: Record<string, string>, urls: string[]): FetchResult[] {
    const args = this.clientArgs([`SSL_CERT_FILE=${this.caFile}`], env, [goProbe(), 'fetch', ...urls]);
    return jsonLines<FetchResult>(runOk('nsenter', args, { timeout: fetchTimeout(urls) }));
  }

  /** nsenter's arguments for `command` in the namespace, with only `settings` and `env` in its environment. */
  private clientArgs(settings: string[], env: Record<string, string>, command: string[]): string[] {
    return [...this.nsArgs(), 'env', '-i', ...settings, ...envArgs(env), ...command];
  }

  private nsArgs(): string[] {
    if (!this.nsPid) {
      throw new Error('namespace not started');
    }
    return ['-t', String(this.nsPid), '--net', '--mount', '--pid'];
  }

  private squidConf(runDir: string): string {
    return [
      `http_port ${SQUID_ADDRESS}`,
      `http_port ${SQUID_AUTH_ADDRESS} name=auth_port`,
      `pid_filename ${runDir}/squid.pid`,
      'cache_effective_user proxy',
      'cache_effective_group proxy',
      `access_log stdio:${runDir}/access.log squid`,
      `cache_log ${runDir}/cache.log`,
      'cache_store_log none',
      'buffered_logs off',
      'logfile_rotate 0',
      `coredump_dir ${runDir}`,
      'cache deny all',
      'cache_mem 8 MB',
      'pinger_enable off',
      'netdb_filename none',
      // No DNS query leaves: names come from hosts_file, the resolver is loopback (nothing answers).
      `hosts_file ${this.work}/squid-hosts`,
      'dns_nameservers 127.0.0.1',
      'dns_timeout 2 seconds',
      'connect_timeout 5 seconds',
      'shutdown_lifetime 1 seconds',
      `auth_param basic program ${BASIC_NCSA_AUTH} ${this.work}/squid-passwd`,
      'auth_param basic children 2 startup=1 idle=1',
      'auth_param basic realm cdk-private-eks test proxy',
      'auth_param basic credentialsttl 1 minute',
      `acl allowed_domains dstdomain ${this.opts.allowedDomains.join(' ')}`,
      'acl auth_port myportname auth_port',
      'acl proxy_users proxy_auth REQUIRED',
      'acl SSL_ports port 443',
      'acl Safe_ports port 80 443',
      'acl CONNECT method CONNECT',
      'http_access deny !Safe_ports',
      'http_access deny CONNECT !SSL_ports',
      // On the authenticating port: no valid credentials, 407 (a proxy_auth ACL last on a deny line challenges).
      'http_access deny auth_port !proxy_users',
      'http_access allow localhost allowed_domains',
      'http_access deny all',
      '',
    ].join('\n');
  }

  private makeCertificates(): void {
    const w = this.work;
    const names = [...new Set([...this.opts.squidNames, ...this.opts.directNames])];
    const ssl = (args: string[]) => runOk('openssl', args, { cwd: w, timeout: 30_000 });
    ssl([
      'req',
      '-x509',
      ...newP256Key('ca.key'),
      '-days',
      '1',
      '-out',
      'ca.pem',
      '-subj',
      '/CN=cdk-private-eks test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    ssl(['req', ...newP256Key('server.key'), '-out', 'server.csr', '-subj', '/CN=origin']);
    fs.writeFileSync(
      path.join(w, 'server.ext'),
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
        `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
        '',
      ].join('\n'),
    );
    ssl([
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      'server.pem',
      '-extfile',
      'server.ext',
    ]);
    for (const f of ['ca.pem', 'server.pem', 'server.key']) {
      fs.chmodSync(path.join(w, f), 0o644);
    }
  }
}

/** How long a client may take for `urls` (each transfer is bounded at 10 s). */
function fetchTimeout(urls: string[]): number {
  return 20_000 + urls.length * 12_000;
}

/** The start of the line curl writes after each transfer (`-w`): no origin's body holds it. */
const CURL_MARKER = '--cdk-private-eks-curl-transfer--';

/**
 * The transfers of one curl run from its output: each URL's body, then the marker line `-w` wrote after it
 * (`MARKER status exitcode errormsg`). `undefined` when the count is not one a URL.
 */
function parseCurlTransfers(stdout: string, urls: string[]): FetchResult[] | undefined {
  const results: FetchResult[] = [];
  let rest = stdout;
  for (const url of urls) {
    const at = rest.indexOf(`\n${CURL_MARKER} `);
    if (at < 0) {
      return undefined;
    }
    const body = rest.slice(0, at);
    const end = rest.indexOf('\n', at + 1);
    const line = rest.slice(at + 1, end < 0 ? undefined : end);
    rest = end < 0 ? '' : rest.slice(end + 1);
    const [, status, exitCode, ...message] = line.split(' ');
    results.push({
      url,
      status: Number(status),
      body: body ? `${body}\n` : '',
      error: exitCode === '0' ? '' : `exit ${exitCode}: ${message.join(' ')}`,
    });
  }
  return rest.includes(CURL_MARKER) ? undefined : results;
}

function envArgs(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/**
 * The generated environment with the proxy pointed at the local Squid, written the same way: a URL
 * keeps its scheme and its `user:password@` (then pointing at the authenticating port), a scheme-less
 * host:port (Bottlerocket's https-proxy) stays scheme-less.
 */
export function pointAtSquid(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (!/^https?_proxy$/i.test(k)) {
      out[k] = v;
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
      out[k] = v.replace(/^(https?):\/\/(?:([^@/]*)@)?[^/@]+/, (_m, scheme: string, userinfo?: string) =>
        userinfo !== undefined ? `${scheme}://${userinfo}@${SQUID_AUTH_ADDRESS}` : `${scheme}://${SQUID_ADDRESS}`,
      );
    } else {
      out[k] = v.replace(/^[^/]+/, SQUID_ADDRESS);
    }
  }
  return out;
}
