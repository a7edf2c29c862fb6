/**
 * An Amazon Linux node's user-data scripts run in a sandbox (see node-parts-sandbox.sh): the boothook,
 * then the text/x-shellscript parts (the AL2 bootstrap.sh call, the ready-signal installer), then the
 * installed ready-signal program as systemd would start it, with and without a kubelet health
 * endpoint. cfn-signal and bootstrap.sh are recording stubs. The checks return problems as text, so
 * tests can also prove that a broken script is caught.
 */
import * as fs from 'fs';
import * as path from 'path';
import { removeDir, requireRoot, requireTools, run, sandboxArgs, tempDir } from './proc';
import { BoothookProfile, SEED_ENVIRONMENT } from './sandbox';
import { newP256Key } from './openssl';
import { jsonLines } from './json-lines';
import { stubsEnvironment } from './go-programs';

export const SIGNAL_PROGRAM = '/usr/local/bin/cdk-private-eks-ready-signal';
export const SIGNAL_UNIT = '/etc/systemd/system/cdk-private-eks-ready-signal.service';

/**
 * A node's /etc/hosts, with `localhost` on both loopback addresses and ::1 listed too, so the
 * signal program's `curl http://localhost:10248/healthz` must cope with ::1 refusing (the stub kubelet,
 * like kubelet's default healthzBindAddress, listens on 127.0.0.1 only).
 */
const SEED_HOSTS =
  '127.0.0.1 localhost localhost.localdomain localhost4\n::1 localhost localhost6 localhost6.localdomain6\n';

/** One call of a recording stub (cfn-signal, bootstrap.sh). */
export interface StubCall {
  readonly argv: string[];
  /** The proxy variables of its environment. */
  readonly env: Record<string, string>;
}

export interface PartRun {
  readonly name: string;
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly calls: string[];
  readonly cfnSignal: StubCall[];
  readonly bootstrap: StubCall[];
}

export interface SignalRun {
  readonly rc: number;
  /** The journal stand-in: systemd sends a unit's standard output to the journal. */
  readonly stdout: string;
  readonly stderr: string;
  /** What the program wrote to /dev/console (the console stand-in). */
  readonly console: string;
  readonly cfnSignal: StubCall[];
  readonly healthz: Array<{ method: string; path: string; host: string }>;
  /** Requests the stub API server received. */
  readonly apiserver: Array<{ method: string; path: string; authorized: boolean; body: string }>;
  /** Requests the proxy stub received. */
  readonly proxy: Array<{ method: string; target: string }>;
  /** Command lines of kubelet's token command (stub). */
  readonly tokenCalls: string[];
  readonly seconds: number;
}

export interface NodePartsResult {
  readonly parts: PartRun[];
  /** The signal program and unit as installed, by absolute path. */
  readonly installed: Record<string, { type: string; mode: string; content: string }>;
  /** systemd-analyze verify of the installed unit, in place. */
  readonly verify?: { rc: number; out: string; err: string };
  readonly runs: Record<string, SignalRun>;
}

export interface SignalRunRequest {
  readonly name: string;
  /** Whether a stub kubelet answers on 127.0.0.1:10248/healthz. */
  readonly healthz: boolean;
  /** The stub API server, answering NotReady to this many Node GETs first; undefined: no API server. */
  readonly apiNotReadyGets?: number;
  /** Whether the proxy stub listens (else nothing answers on the proxy's address). */
  readonly proxy?: boolean;
  /** Whether the boothook's no-credentials marker is in /run. */
  readonly blocked?: boolean;
  /** 'installed' (the program the signal part wrote), or the text of another program to run instead. */
  readonly program: 'installed' | { readonly script: string };
}

/** The network a signal run sees: the stub API server and the proxy, at namespace-local addresses. */
export interface SignalNetwork {
  /** `/etc/hosts` lines added to the seed (e.g. the API server's and the proxy's names). */
  readonly hosts: string[];
  /** Addresses put on lo (ADDR/PREFIX). */
  readonly addresses: string[];
  readonly apiserver: {
    readonly address: string;
    readonly port: number;
    readonly node: string;
    readonly token: string;
    readonly certPem: string;
    readonly keyPem: string;
    /** The CA of the server's certificate: written where nodeadm and bootstrap.sh put the cluster CA. */
    readonly caPem: string;
  };
  readonly proxy: { readonly address: string; readonly port: number };
}

/** Run `parts` in order in a fresh sandbox seeded for `profile`, then the signal runs. */
export function runNodeParts(
  profile: BoothookProfile,
  parts: Array<{ name: string; script: string }>,
  signalRuns: SignalRunRequest[] = [],
  network?: SignalNetwork,
): NodePartsResult {
  requireRoot();
  requireTools('unshare', 'ip', 'mount', 'systemd-analyze', 'curl', '/usr/bin/python3');
  const work = tempDir('node-parts');
  try {
    const seed = path.join(work, 'seed', 'etc');
    fs.mkdirSync(path.join(seed, path.dirname(profile.packageManagerConfig)), { recursive: true });
    fs.writeFileSync(path.join(seed, 'environment'), SEED_ENVIRONMENT);
    fs.writeFileSync(path.join(seed, 'hosts'), SEED_HOSTS + (network?.hosts ?? []).map((h) => `${h}\n`).join(''));
    if (network) {
      const a = network.apiserver;
      fs.writeFileSync(path.join(work, 'addresses'), network.addresses.map((x) => `${x}\n`).join(''));
      fs.writeFileSync(path.join(work, 'apiserver'), `${a.address} ${a.port} ${a.node} ${a.token}\n`);
      fs.writeFileSync(path.join(work, 'cert.pem'), a.certPem);
      fs.writeFileSync(path.join(work, 'key.pem'), a.keyPem, { mode: 0o600 });
      // Before kubelet starts, nodeadm (AL2023) and bootstrap.sh (AL2) write the cluster CA here.
      fs.mkdirSync(path.join(seed, 'kubernetes', 'pki'), { recursive: true });
      fs.writeFileSync(path.join(seed, 'kubernetes', 'pki', 'ca.crt'), a.caPem);
      fs.writeFileSync(path.join(work, 'proxy'), `${network.proxy.address} ${network.proxy.port}\n`);
    }
    fs.writeFileSync(path.join(seed, profile.packageManagerConfig), profile.seedPackageManagerConfig);
    fs.mkdirSync(path.join(work, 'parts'));
    parts.forEach((p, i) =>
      fs.writeFileSync(path.join(work, 'parts', `${String(i + 1).padStart(2, '0')}-${p.name}`), p.script, {
        mode: 0o700,
      }),
    );
    fs.mkdirSync(path.join(work, 'programs'));
    const lines = signalRuns.map((r) => {
      let program = SIGNAL_PROGRAM;
      if (r.program !== 'installed') {
        program = path.join(work, 'programs', r.name);
        fs.writeFileSync(program, r.program.script, { mode: 0o755 });
      }
      const flag = (b?: boolean) => (b ? 1 : 0);
      return `${r.name} ${flag(r.healthz)} ${r.apiNotReadyGets ?? '-'} ${flag(r.proxy)} ${flag(r.blocked)} ${program}`;
    });
    if (lines.length > 0) {
      fs.writeFileSync(path.join(work, 'signal-runs'), lines.join('\n') + '\n');
    }
    const r = run('unshare', sandboxArgs('node-parts-sandbox.sh', work), {
      env: stubsEnvironment(),
      timeout: 150_000 + signalRuns.length * 90_000,
    });
    if (r.status !== 0) {
      throw new Error(`node sandbox failed (${r.status ?? r.signal}):\n${r.stderr}\n${r.stdout}`);
    }
    return readResult(
      path.join(work, 'out'),
      parts.map((p, i) => `${String(i + 1).padStart(2, '0')}-${p.name}`),
      signalRuns.map((s) => s.name),
    );
  } finally {
    removeDir(work);
  }
}

function readResult(out: string, partNames: string[], runNames: string[]): NodePartsResult {
  const read = (f: string) => (fs.existsSync(path.join(out, f)) ? fs.readFileSync(path.join(out, f), 'utf8') : '');
  const calls = (f: string) => jsonLines<StubCall>(read(f));
  const parts = partNames.map((name) => ({
    name,
    rc: Number(read(`parts/${name}/rc`).trim()),
    stdout: read(`parts/${name}/stdout`),
    stderr: read(`parts/${name}/stderr`),
    calls: read(`parts/${name}/calls.log`).split('\n').filter(Boolean),
    cfnSignal: calls(`parts/${name}/cfn-signal.log`),
    bootstrap: calls(`parts/${name}/bootstrap.log`),
  }));
  const installed: NodePartsResult['installed'] = {};
  for (const line of read('installed.stat').split('\n').filter(Boolean)) {
    const m = /^(\S+) (.+) (\d+)$/.exec(line)!;
    installed[m[1]] = { type: m[2], mode: m[3], content: read(`installed/${path.basename(m[1])}`) };
  }
  const verify = fs.existsSync(path.join(out, 'verify.rc'))
    ? { rc: Number(read('verify.rc').trim()), out: read('verify.out'), err: read('verify.err') }
    : undefined;
  const runs: Record<string, SignalRun> = {};
  for (const name of runNames) {
    runs[name] = {
      rc: Number(read(`runs/${name}/rc`).trim()),
      stdout: read(`runs/${name}/stdout`),
      stderr: read(`runs/${name}/stderr`),
      console: read(`runs/${name}/console`),
      cfnSignal: calls(`runs/${name}/cfn-signal.log`),
      healthz: jsonLines(read(`runs/${name}/healthz.log`)),
      apiserver: jsonLines(read(`runs/${name}/apiserver.log`)),
      proxy: jsonLines(read(`runs/${name}/proxy.log`)),
      tokenCalls: read(`runs/${name}/token.log`).split('\n').filter(Boolean),
      seconds: Number(read(`runs/${name}/seconds`).trim()),
    };
  }
  return { parts, installed, verify, runs };
}

/**
 * What is wrong with a command line: `positional` first, then each of `flags` exactly once as
 * `--flag value`, and nothing else.
 */
export function argvProblems(argv: string[], positional: string[], flags: Record<string, string>): string[] {
  const problems: string[] = [];
  positional.forEach((want, i) => {
    if (argv[i] !== want) {
      problems.push(`argument ${i + 1} is ${JSON.stringify(argv[i])}, expected ${JSON.stringify(want)}`);
    }
  });
  const seen = new Map<string, string[]>();
  for (let i = positional.length; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      problems.push(`unexpected argument ${JSON.stringify(a)}`);
      continue;
    }
    const eq = a.indexOf('=');
    const [flag, value] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, argv[++i]];
    seen.set(flag, [...(seen.get(flag) ?? []), value]);
  }
  for (const [flag, want] of Object.entries(flags)) {
    const got = seen.get(flag) ?? [];
    if (got.length !== 1) {
      problems.push(`${flag} given ${got.length} times, expected once`);
    } else if (got[0] !== want) {
      problems.push(`${flag} is ${JSON.stringify(got[0])}, expected ${JSON.stringify(want)}`);
    }
  }
  for (const flag of seen.keys()) {
    if (!(flag in flags)) {
      problems.push(`unexpected flag ${flag}`);
    }
  }
  return problems;
}

/** The resource signal a self-managed group must send. */
export interface ExpectedSignal {
  readonly stack: string;
  readonly resource: string;
  readonly region: string;
}

/** What is wrong with the cfn-signal calls of one run (exactly one call, with these flags). */
export function signalProblems(calls: StubCall[], exitCode: 0 | 1, want: ExpectedSignal): string[] {
  if (calls.length !== 1) {
    return [`cfn-signal called ${calls.length} times, expected once`];
  }
  return argvProblems(calls[0].argv, [], {
    '--exit-code': String(exitCode),
    '--stack': want.stack,
    '--resource': want.resource,
    '--region': want.region,
  }).map((p) => `cfn-signal: ${p}`);
}

/** A CA and a server certificate for `host` made with openssl now (never stored in the repository). */
export function testServerCertificate(host: string): { caPem: string; certPem: string; keyPem: string } {
  requireTools('openssl');
  const dir = tempDir('api-ca');
  try {
    const f = (n: string) => path.join(dir, n);
    const ok = (args: string[]) => {
      const r = run('openssl', args, { timeout: 60_000 });
      if (r.status !== 0) {
        throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
      }
    };
    ok([
      'req',
      '-x509',
      ...newP256Key(f('ca.key')),
      '-out',
      f('ca.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=test-kubernetes-ca',
    ]);
    ok(['req', ...newP256Key(f('key.pem')), '-out', f('req.pem'), '-subj', `/CN=${host}`]);
    fs.writeFileSync(f('ext.cnf'), `subjectAltName=DNS:${host}\n`);
    ok([
      'x509',
      '-req',
      '-in',
      f('req.pem'),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f('cert.pem'),
      '-days',
      '1',
      '-extfile',
      f('ext.cnf'),
    ]);
    const read = (n: string) => fs.readFileSync(f(n), 'utf8');
    return { caPem: read('ca.pem'), certPem: read('cert.pem'), keyPem: read('key.pem') };
  } finally {
    removeDir(dir);
  }
}

/** The node name and token the stub API server knows. */
export const TEST_NODE_NAME = 'ip-10-0-1-23.ec2.internal';
export const TEST_TOKEN = 'k8s-aws-v1.dGVzdC10b2tlbg';

/**
 * A signal sandbox for a region and proxy URL: the API server's name under its real domain
 * (<id>.<cell>.<region>.eks.amazonaws.com) at an address of the sandbox only, the proxy's name at another,
 * and a server certificate made now.
 */
export function testSignalNetwork(
  region: string,
  httpsProxy: string,
): { network: SignalNetwork; apiHost: string; caPem: string } {
  const apiHost = `0123456789abcdef0123456789abcdef.gr7.${region}.eks.amazonaws.com`;
  const proxyUrl = new URL(httpsProxy);
  const cert = testServerCertificate(apiHost);
  return {
    apiHost,
    caPem: cert.caPem,
    network: {
      hosts: [`10.255.0.1 ${apiHost}`, `10.255.0.2 ${proxyUrl.hostname}`],
      addresses: ['10.255.0.1/32', '10.255.0.2/32'],
      apiserver: {
        address: '10.255.0.1',
        port: 443,
        node: TEST_NODE_NAME,
        token: TEST_TOKEN,
        certPem: cert.certPem,
        keyPem: cert.keyPem,
        caPem: cert.caPem,
      },
      proxy: { address: '10.255.0.2', port: Number(proxyUrl.port) },
    },
  };
}
