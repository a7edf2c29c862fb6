/**
 * A real TLS-inspecting proxy for the CA bundle proofs: Squid with `ssl_bump` (Debian's squid-openssl,
 * which scripts/test-tools.sh installs), on loopback. It answers CONNECT, peeks at the client's SNI, then
 * bumps: it terminates the client's TLS with a certificate for that name minted on the fly
 * (security_file_certgen) and signed by the inspection CA, and opens TLS to the origin, verified against
 * `upstreamCa`. Names resolve through its own hosts_file only.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Background, requireTools, run, runOk, waitFor } from './proc';

/** Squid's certificate generator helper (Debian package squid-openssl). */
const CERTGEN = '/usr/lib/squid/security_file_certgen';

export interface SquidBumpOptions {
  /** A directory of the test's own (made readable for Squid's `proxy` user). */
  readonly work: string;
  /** The inspection CA: PEM certificate and key files. */
  readonly caCert: string;
  readonly caKey: string;
  /** The CA Squid trusts for the origin servers. */
  readonly upstreamCa: string;
  /** name → address, Squid's hosts_file. */
  readonly hosts: Record<string, string>;
}

/** A free TCP port on loopback (the kernel's pick, released for Squid to bind). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export class SquidBump {
  private squid?: Background;
  private readonly runDir: string;

  constructor(private readonly opts: SquidBumpOptions) {
    requireTools('squid', CERTGEN);
    this.runDir = path.join(opts.work, 'squid-bump');
  }

  /** Start Squid; resolves with its address (`http://127.0.0.1:PORT`) once it accepts connections. */
  public async start(): Promise<string> {
    const { work, caCert, caKey, upstreamCa, hosts } = this.opts;
    const uid = Number(runOk('id', ['-u', 'proxy']).trim());
    const gid = Number(runOk('id', ['-g', 'proxy']).trim());
    fs.chmodSync(work, 0o755);
    fs.mkdirSync(this.runDir);
    fs.chownSync(this.runDir, uid, gid);
    // The CA key is read by Squid after it drops to the proxy user.
    fs.chownSync(caKey, uid, gid);
    const sslDb = path.join(this.runDir, 'ssl_db');
    runOk(CERTGEN, ['-c', '-s', sslDb, '-M', '4MB']);
    runOk('chown', ['-R', `${uid}:${gid}`, sslDb]);
    const hostsFile = path.join(work, 'squid-bump-hosts');
    fs.writeFileSync(
      hostsFile,
      Object.entries(hosts)
        .map(([name, address]) => `${address} ${name}\n`)
        .join(''),
    );
    const port = await freePort();
    const conf = path.join(work, 'squid-bump.conf');
    const r = this.runDir;
    fs.writeFileSync(
      conf,
      [
        `http_port 127.0.0.1:${port} ssl-bump tls-cert=${caCert} tls-key=${caKey} generate-host-certificates=on dynamic_cert_mem_cache_size=4MB`,
        `sslcrtd_program ${CERTGEN} -s ${sslDb} -M 4MB`,
        'sslcrtd_children 2 startup=1 idle=1',
        'acl step1 at_step SslBump1',
        'ssl_bump peek step1',
        'ssl_bump bump all',
        `tls_outgoing_options cafile=${upstreamCa}`,
        `hosts_file ${hostsFile}`,
        // Nothing answers here: every name Squid may resolve is in hosts_file.
        'dns_nameservers 127.0.0.1',
        'http_access allow localhost',
        'http_access deny all',
        'cache deny all',
        `pid_filename ${r}/squid.pid`,
        `cache_log ${r}/cache.log`,
        `access_log ${r}/access.log`,
        `coredump_dir ${r}`,
        'shutdown_lifetime 0 seconds',
        '',
      ].join('\n'),
    );
    const parse = run('squid', ['-k', 'parse', '-f', conf], { timeout: 30_000 });
    if (parse.status !== 0) {
      throw new Error(`squid -k parse failed:\n${parse.stderr}`);
    }
    this.squid = new Background('squid', ['-N', '-f', conf]);
    const cacheLog = path.join(r, 'cache.log');
    await waitFor(
      'Squid (ssl_bump) to accept connections',
      () =>
        this.squid!.child.exitCode === null &&
        fs.existsSync(cacheLog) &&
        /Accepting SSL bumped HTTP Socket connections/.test(fs.readFileSync(cacheLog, 'utf8')),
      30_000,
    );
    return `http://127.0.0.1:${port}`;
  }

  /** Squid's access.log: one line per request it relayed (bumped requests show their https:// URL). */
  public accessLog(): string {
    const f = path.join(this.runDir, 'access.log');
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
  }

  public async stop(): Promise<void> {
    await this.squid?.stop(2000);
  }
}
