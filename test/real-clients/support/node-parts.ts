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
  readonly stdout: string;
  readonly stderr: string;
  readonly cfnSignal: StubCall[];
  readonly healthz: Array<{ method: string; path: string; host: string }>;
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
  /** 'installed' (the program the signal part wrote), or the text of another program to run instead. */
  readonly program: 'installed' | { readonly script: string };
}

/** Run `parts` in order in a fresh sandbox seeded for `profile`, then the signal runs. */
export function runNodeParts(
  profile: BoothookProfile,
  parts: Array<{ name: string; script: string }>,
  signalRuns: SignalRunRequest[] = [],
): NodePartsResult {
  requireRoot();
  requireTools('unshare', 'ip', 'mount', 'systemd-analyze', 'curl', '/usr/bin/python3');
  const work = tempDir('node-parts');
  try {
    const seed = path.join(work, 'seed', 'etc');
    fs.mkdirSync(path.join(seed, path.dirname(profile.packageManagerConfig)), { recursive: true });
    fs.writeFileSync(path.join(seed, 'environment'), SEED_ENVIRONMENT);
    fs.writeFileSync(path.join(seed, 'hosts'), SEED_HOSTS);
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
      return `${r.name} ${r.healthz ? 1 : 0} ${program}`;
    });
    if (lines.length > 0) {
      fs.writeFileSync(path.join(work, 'signal-runs'), lines.join('\n') + '\n');
    }
    const r = run('unshare', sandboxArgs('node-parts-sandbox.sh', work), {
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
  const calls = (f: string): StubCall[] =>
    read(f)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
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
      cfnSignal: calls(`runs/${name}/cfn-signal.log`),
      healthz: read(`runs/${name}/healthz.log`)
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
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

/**
 * A copy of the signal program that gives up after `seconds` and retries every second, so the
 * failure path runs in a few seconds instead of `timeoutMinutes`: `deadline=$((SECONDS + N * 60))`
 * becomes `deadline=$((SECONDS + seconds))` and `sleep 10` becomes `sleep 1`. Nothing else changes;
 * throws when the program no longer has exactly one of each line.
 */
export function shortTimeoutCopy(program: string, seconds: number): string {
  const deadline = /^deadline=\$\(\(SECONDS \+ \d+ \* 60\)\)$/m;
  const sleep = /^ {2}sleep 10$/m;
  for (const [what, re] of [
    ['deadline', deadline],
    ['sleep', sleep],
  ] as const) {
    const n = program.split('\n').filter((l) => new RegExp(re.source).test(l)).length;
    if (n !== 1) {
      throw new Error(
        `the signal program has ${n} ${what} lines, expected one: the short-timeout rewrite needs updating`,
      );
    }
  }
  return program.replace(deadline, `deadline=$((SECONDS + ${seconds}))`).replace(sleep, '  sleep 1');
}
