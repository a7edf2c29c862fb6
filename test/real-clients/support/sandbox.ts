/**
 * Running a boothook twice in a namespace sandbox (see boothook-sandbox.sh) and checking what it did.
 * The checks return problems as text instead of throwing, so tests can also prove that a broken
 * boothook is caught.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PROXY_AUTH_PLACEHOLDER } from '../../../lib/nodes/user-data/boothook';
import { removeDir, requireRoot, requireTools, run, sandboxArgs, tempDir } from './proc';
import { SystemdParse, verifiedUnits } from './systemd';
import { jsonLines } from './json-lines';
import { stubsEnvironment } from './go-programs';

/** The six variables, both cases. */
export const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

/** The units an AL2023 node's boothook must give a drop-in. */
export const NODE_UNITS = ['containerd', 'kubelet', 'amazon-ssm-agent'];

/**
 * The units an AL2 node's boothook must give a drop-in: docker (the runtime up to Kubernetes 1.23),
 * containerd, kubelet, sandbox-image (the AL2 unit that pulls the pause image from ECR) and the SSM agent.
 */
export const AL2_NODE_UNITS = ['docker', 'containerd', 'kubelet', 'sandbox-image', 'amazon-ssm-agent'];

/** The /etc/environment the sandbox starts from: a locale line and a stale proxy line to be replaced. */
export const SEED_ENVIRONMENT = 'LANG=C.UTF-8\nno_proxy=stale.example.invalid\n';

/** The dnf.conf the sandbox starts from (Amazon Linux 2023's, abridged), with a [main] section. */
export const SEED_DNF_CONF = [
  '[main]',
  'gpgcheck=1',
  'installonly_limit=3',
  'clean_requirements_on_remove=True',
  'best=False',
  'skip_if_unavailable=True',
  '',
].join('\n');

/** yum.conf as the sandbox starts from (Amazon Linux 2's, abridged), with a [main] section. */
export const SEED_YUM_CONF = [
  '[main]',
  'cachedir=/var/cache/yum/$basearch/$releasever',
  'keepcache=0',
  'debuglevel=2',
  'logfile=/var/log/yum.log',
  'exactarch=1',
  'obsoletes=1',
  'gpgcheck=1',
  'plugins=1',
  'installonly_limit=3',
  'distroverpkg=system-release',
  'timeout=5',
  'retries=7',
  '',
].join('\n');

/** What an Amazon Linux family's boothook configures, written down from the family (not from the library). */
export interface BoothookProfile {
  readonly family: 'AL2023' | 'AL2';
  /** The package manager's configuration, relative to /etc. */
  readonly packageManagerConfig: string;
  /** Its seeded content. */
  readonly seedPackageManagerConfig: string;
  /** The units that must get a drop-in. */
  readonly units: string[];
}

export const BOOTHOOK_PROFILES: Record<'AL2023' | 'AL2', BoothookProfile> = {
  AL2023: {
    family: 'AL2023',
    packageManagerConfig: 'dnf/dnf.conf',
    seedPackageManagerConfig: SEED_DNF_CONF,
    units: NODE_UNITS,
  },
  AL2: {
    family: 'AL2',
    packageManagerConfig: 'yum.conf',
    seedPackageManagerConfig: SEED_YUM_CONF,
    units: AL2_NODE_UNITS,
  },
};

export interface FileStat {
  readonly type: string;
  readonly mode: string;
  readonly size: number;
  readonly inode: string;
  readonly mtime: string;
  /** Numeric owner. */
  readonly uid: string;
}

/**
 * A stub `aws` CLI on the boothook's PATH (written in Python, support/boothook-sandbox.sh installs it):
 * it records every call (argv and the proxy variables of its environment) and prints `stdout` only
 * for exactly `expectArgv`; any other command line fails like the CLI's usage error (exit 252).
 */
export interface AwsStub {
  /** The exact argv after `aws`. */
  readonly expectArgv: string[];
  /** What it prints for that command line (the CLI adds a newline). */
  readonly stdout: string;
  /** Fail every call instead (exit 254 with an AccessDeniedException message), as without permission or route. */
  readonly fail?: boolean;
  /** Fail every call in these runs (boots, from 1) only, e.g. [1]: unreadable on the first boot, readable on the second. */
  readonly failInRuns?: number[];
}

/** One call of the stub `aws`. */
export interface AwsCall {
  readonly argv: string[];
  /** Whether argv was exactly the expected one. */
  readonly matched: boolean;
  /** The proxy variables of its environment. */
  readonly env: Record<string, string>;
}

/** Extra sandbox settings. */
export interface SandboxOptions {
  /** A stub `aws` CLI (absent: no `aws` on PATH). */
  readonly aws?: AwsStub;
  /** The region the stub IMDS reports (default us-east-1). */
  readonly region?: string;
  /** More programs first on the boothook's PATH, by name: their text (e.g. a stand-in update-ca-trust). */
  readonly extraStubs?: Record<string, string>;
}

export interface BoothookRun {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Calls of the stubbed programs, e.g. `systemctl daemon-reload`. */
  readonly calls: string[];
  /** Requests the stub IMDS received during the run. */
  readonly imds: any[];
  /** Every path under /etc that differs from the host's /etc (the overlay's upper layer). */
  readonly stat: Record<string, FileStat>;
  /** Contents of those regular files, by path relative to /etc. */
  readonly files: Record<string, string>;
  /** Files the boothook left in its TMPDIR. */
  readonly tmpLeft: string[];
  /** Calls of the stub `aws` during the run. */
  readonly aws: AwsCall[];
  /** What the run wrote to /dev/console (a stand-in file). */
  readonly console: string;
  /** Files under /run after the run (each run starts with an empty /run, as a boot does), by path relative to /run. */
  readonly runFiles: Record<string, string>;
}

export interface SandboxResult {
  /** run0 is the seeded state before the first run. */
  readonly runs: BoothookRun[];
  /** How /etc was made private: 'overlay' or 'copy'. */
  readonly etcMode: string;
  /** systemd-analyze verify of each unit with its drop-ins, in place in the sandbox after the last run. */
  readonly systemd: Record<string, SystemdParse>;
}

/**
 * Run `script` RUNS times (as cloud-init would on RUNS boots) in a fresh sandbox seeded for the
 * family of `profile`, then let systemd parse the drop-ins of `verifyUnits` where they were written.
 */
export function runBoothookInSandbox(
  script: string,
  runs = 2,
  verifyUnits: string[] = [],
  profile: BoothookProfile = BOOTHOOK_PROFILES.AL2023,
  options: SandboxOptions = {},
): SandboxResult {
  requireRoot();
  requireTools('unshare', 'ip', 'mount', '/usr/bin/python3', ...(verifyUnits.length > 0 ? ['systemd-analyze'] : []));
  const work = tempDir('boothook');
  try {
    const seed = path.join(work, 'seed', 'etc');
    fs.mkdirSync(path.join(seed, path.dirname(profile.packageManagerConfig)), { recursive: true });
    fs.writeFileSync(path.join(seed, 'environment'), SEED_ENVIRONMENT);
    fs.writeFileSync(path.join(seed, profile.packageManagerConfig), profile.seedPackageManagerConfig);
    fs.writeFileSync(path.join(work, 'boothook'), script, { mode: 0o700 });
    fs.writeFileSync(path.join(work, 'imds-region'), `${options.region ?? 'us-east-1'}\n`);
    if (options.aws || options.extraStubs) {
      fs.mkdirSync(path.join(work, 'extra-stubs'));
    }
    for (const [name, text] of Object.entries(options.extraStubs ?? {})) {
      fs.writeFileSync(path.join(work, 'extra-stubs', name), text, { mode: 0o755 });
    }
    if (options.aws) {
      fs.writeFileSync(path.join(work, 'aws-stub.json'), JSON.stringify(options.aws));
      fs.writeFileSync(path.join(work, 'extra-stubs', 'aws'), awsStubProgram(path.join(work, 'aws-stub.json')), {
        mode: 0o755,
      });
    }
    const r = run('unshare', sandboxArgs('boothook-sandbox.sh', work, String(runs), verifyUnits.join(' ')), {
      env: stubsEnvironment(),
      timeout: 150_000,
    });
    if (r.status !== 0) {
      throw new Error(`boothook sandbox failed (${r.status ?? r.signal}):\n${r.stderr}\n${r.stdout}`);
    }
    const result: BoothookRun[] = [];
    for (let i = 0; i <= runs; i++) {
      result.push(readRun(path.join(work, `run${i}`), i === 0));
    }
    const f = (name: string) => fs.readFileSync(path.join(work, 'verify', name), 'utf8');
    const systemd =
      verifyUnits.length === 0
        ? {}
        : verifiedUnits(verifyUnits, f('out'), f('err'), Number(f('rc').trim()), '/etc/systemd/system');
    return { runs: result, etcMode: fs.readFileSync(path.join(work, 'etc-mode'), 'utf8').trim(), systemd };
  } finally {
    removeDir(work);
  }
}

function readRun(dir: string, seed: boolean): BoothookRun {
  const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
  const stat: Record<string, FileStat> = {};
  for (const line of read('stat.txt').split('\n').filter(Boolean)) {
    const [p, type, mode, size, inode, mtime, uid] = line.split(' ');
    stat[p] = { type, mode, size: Number(size), inode, mtime, uid };
  }
  const files: Record<string, string> = {};
  for (const [p, s] of Object.entries(stat)) {
    if (s.type === 'f') {
      files[p] = fs.readFileSync(path.join(dir, 'etc', p), 'utf8');
    }
  }
  return {
    rc: seed ? 0 : Number(read('rc').trim()),
    stdout: read('stdout'),
    stderr: read('stderr'),
    calls: read('calls.log').split('\n').filter(Boolean),
    imds: jsonLines(read('imds.log')),
    stat,
    files,
    tmpLeft: read('tmp-left.txt').split('\n').filter(Boolean),
    aws: jsonLines<AwsCall>(read('aws.log')),
    console: read('console'),
    runFiles: seed ? {} : filesUnder(path.join(dir, 'run-files')),
  };
}

/** Regular files under a directory, by relative path. */
function filesUnder(dir: string): Record<string, string> {
  if (!fs.existsSync(dir)) {
    return {};
  }
  return Object.fromEntries(
    fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const full = path.join(e.parentPath, e.name);
        return [path.relative(dir, full), fs.readFileSync(full, 'utf8')];
      }),
  );
}

/** The stub `aws` program (see AwsStub); its log goes next to the run's calls.log. */
function awsStubProgram(specFile: string): string {
  return [
    '#!/usr/bin/python3',
    '# Stub AWS CLI for the boothook sandbox (support/sandbox.ts AwsStub).',
    'import json, os, sys',
    `spec = json.load(open(${JSON.stringify(specFile)}))`,
    'argv = sys.argv[1:]',
    'matched = argv == spec["expectArgv"]',
    'env = {k: v for k, v in os.environ.items() if k.lower() in ("http_proxy", "https_proxy", "no_proxy")}',
    'with open(os.path.join(os.path.dirname(os.environ["CALLS_LOG"]), "aws.log"), "a") as f:',
    '    f.write(json.dumps({"argv": argv, "matched": matched, "env": env}) + "\\n")',
    'boot = int(os.path.basename(os.path.dirname(os.environ["CALLS_LOG"]))[len("run"):])',
    'if spec.get("fail") or boot in spec.get("failInRuns", []):',
    '    sys.stderr.write("\\nAn error occurred (AccessDeniedException) when calling the GetSecretValue operation: stub\\n")',
    '    sys.exit(254)',
    'if not matched:',
    '    sys.stderr.write("aws stub: unexpected command line %r\\n" % (argv,))',
    '    sys.exit(252)',
    'sys.stdout.write(spec["stdout"] + "\\n")',
    '',
  ].join('\n');
}

/** Parse `KEY=VALUE` lines the way pam_env reads /etc/environment (no quoting in our values). */
export function parseEnvLines(lines: string[]): Array<[string, string]> {
  return lines
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const i = l.indexOf('=');
      return [l.slice(0, i), l.slice(i + 1)] as [string, string];
    });
}

/** The variables between our markers in a /etc/environment text (first block). */
export function environmentBlock(etcEnvironment: string): Record<string, string> {
  const lines = etcEnvironment.split('\n');
  const begin = lines.findIndex((l) => l.startsWith('# BEGIN cdk-private-eks'));
  const end = lines.findIndex((l, i) => i > begin && l.startsWith('# END cdk-private-eks'));
  if (begin < 0 || end < 0) {
    throw new Error(`no cdk-private-eks block in /etc/environment:\n${etcEnvironment}`);
  }
  return Object.fromEntries(parseEnvLines(lines.slice(begin + 1, end)));
}

/** Everything wrong with the first run of a boothook (empty when it did its job). */
export function firstRunProblems(
  result: SandboxResult,
  expectedEnv: Record<string, string>,
  packageManagerProxy: string,
  profile: BoothookProfile = BOOTHOOK_PROFILES.AL2023,
  expect: { mode?: string } = {},
): string[] {
  // 644 normally; 600 (root-only) when the files carry proxy credentials.
  const wantMode = expect.mode ?? '644';
  const problems: string[] = [];
  const seed = result.runs[0];
  const r = result.runs[1];
  if (r.rc !== 0) {
    problems.push(`run 1 exited ${r.rc}: ${r.stderr}`);
  }
  if (r.stderr.trim() !== '') {
    problems.push(`run 1 wrote to stderr: ${r.stderr.trim()}`);
  }

  // /etc/environment: one block, the six variables once each, the seeded lines kept.
  const env = r.files.environment ?? '';
  const lines = env.split('\n');
  const begins = lines.filter((l) => l.startsWith('# BEGIN cdk-private-eks')).length;
  const ends = lines.filter((l) => l.startsWith('# END cdk-private-eks')).length;
  if (begins !== 1 || ends !== 1) {
    problems.push(`/etc/environment has ${begins} BEGIN and ${ends} END markers, expected exactly one block:\n${env}`);
  } else {
    const block = environmentBlock(env);
    if (JSON.stringify(Object.keys(block).sort()) !== JSON.stringify([...PROXY_VARIABLES].sort())) {
      problems.push(`/etc/environment block has ${Object.keys(block).join(', ')}, expected the six proxy variables`);
    }
    for (const [k, v] of Object.entries(expectedEnv)) {
      if (block[k] !== v) {
        problems.push(`/etc/environment ${k}=${block[k]} differs from the NodeConfig's ${v}`);
      }
    }
  }
  const defs = parseEnvLines(lines);
  for (const name of PROXY_VARIABLES) {
    const n = defs.filter(([k]) => k === name).length;
    if (n !== 1) {
      problems.push(`/etc/environment defines ${name} ${n} times, expected once`);
    }
  }
  for (const kept of SEED_ENVIRONMENT.split('\n').filter((l) => l && !PROXY_VARIABLES.includes(l.split('=')[0]))) {
    if (!lines.includes(kept)) {
      problems.push(`/etc/environment lost the existing line '${kept}'`);
    }
  }

  // dnf.conf / yum.conf: exactly one proxy= line, in [main], other settings kept.
  const conf = profile.packageManagerConfig;
  const dnf = r.files[conf] ?? '';
  const proxyLines: Array<{ section: string; line: string }> = [];
  let section = '';
  for (const line of dnf.split('\n')) {
    const m = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (m) {
      section = m[1];
    } else if (/^\s*proxy\s*=/.test(line)) {
      proxyLines.push({ section, line });
    }
  }
  if (proxyLines.length !== 1) {
    problems.push(`${conf} has ${proxyLines.length} proxy= lines, expected one:\n${dnf}`);
  } else {
    if (proxyLines[0].section !== 'main') {
      problems.push(`${conf} proxy= is in [${proxyLines[0].section}], expected [main]`);
    }
    if (proxyLines[0].line !== `proxy=${packageManagerProxy}`) {
      problems.push(`${conf} has '${proxyLines[0].line}', expected 'proxy=${packageManagerProxy}'`);
    }
  }
  for (const kept of profile.seedPackageManagerConfig.split('\n').filter(Boolean)) {
    if (!dnf.split('\n').includes(kept)) {
      problems.push(`${conf} lost the existing line '${kept}'`);
    }
  }

  // Drop-ins for every unit.
  const written = ['environment', conf];
  for (const unit of profile.units) {
    const dropIns = Object.keys(r.files).filter(
      (p) => p.startsWith(`systemd/system/${unit}.service.d/`) && p.endsWith('.conf'),
    );
    if (dropIns.length === 0) {
      problems.push(`no drop-in under /etc/systemd/system/${unit}.service.d/`);
    }
    written.push(...dropIns);
  }
  // Modes and owner of everything written; no credentials placeholder left unfilled.
  for (const p of written.filter((x) => r.stat[x])) {
    if ((r.files[p] ?? '').includes(PROXY_AUTH_PLACEHOLDER)) {
      problems.push(`/etc/${p} still has the credentials placeholder ${PROXY_AUTH_PLACEHOLDER}`);
    }
    if (r.stat[p].mode !== wantMode) {
      problems.push(`/etc/${p} has mode ${r.stat[p].mode}, expected ${wantMode}`);
    }
    if (r.stat[p].uid !== '0') {
      problems.push(`/etc/${p} is owned by uid ${r.stat[p].uid}, expected root`);
    }
  }
  if (!r.calls.includes('systemctl daemon-reload')) {
    problems.push(`systemctl daemon-reload was not called on the first run (calls: ${r.calls.join('; ') || 'none'})`);
  }
  if (r.tmpLeft.length > 0) {
    problems.push(`run 1 left temporary files: ${r.tmpLeft.join(', ')}`);
  }
  // replace_file writes PATH.cdk-private-eks-new beside PATH and renames it over PATH.
  for (const p of Object.keys(r.stat).filter((x) => x.endsWith('.cdk-private-eks-new'))) {
    problems.push(`run 1 left a half-replaced file /etc/${p}`);
  }
  problems.push(...imdsProblems(r, 1));
  // Nothing outside the expected files changed.
  const confDirs = conf
    .split('/')
    .slice(0, -1)
    .map((_x, i, a) => a.slice(0, i + 1).join('/'));
  const allowed = (p: string) =>
    p === 'environment' ||
    p === conf ||
    confDirs.includes(p) ||
    p === 'systemd' ||
    p === 'systemd/system' ||
    profile.units.some((u) => p === `systemd/system/${u}.service.d` || p.startsWith(`systemd/system/${u}.service.d/`));
  for (const p of Object.keys(r.stat)) {
    if (!allowed(p) && !(p in seed.stat)) {
      problems.push(`run 1 changed an unexpected path /etc/${p}`);
    }
  }
  return problems;
}

/** Everything that the second run changed or did (empty when the boothook is idempotent). */
export function secondRunProblems(result: SandboxResult): string[] {
  const problems: string[] = [];
  const [, first, second] = result.runs;
  if (second.rc !== 0) {
    problems.push(`run 2 exited ${second.rc}: ${second.stderr}`);
  }
  if (second.stderr.trim() !== '') {
    problems.push(`run 2 wrote to stderr: ${second.stderr.trim()}`);
  }
  const paths = new Set([...Object.keys(first.stat), ...Object.keys(second.stat)]);
  for (const p of [...paths].sort()) {
    const a = first.stat[p];
    const b = second.stat[p];
    if (!a || !b) {
      problems.push(`/etc/${p} ${a ? 'disappeared' : 'appeared'} in run 2`);
      continue;
    }
    if (a.type === 'f' && first.files[p] !== second.files[p]) {
      problems.push(`/etc/${p} changed in run 2 (${a.size} -> ${b.size} bytes)`);
    } else if (a.type === 'f' && a.inode !== b.inode) {
      problems.push(
        `/etc/${p} was replaced in run 2 by a new file with the same content (inode ${a.inode} -> ${b.inode})`,
      );
    } else if (a.mode !== b.mode || a.type !== b.type) {
      problems.push(`/etc/${p} changed type or mode in run 2`);
    }
  }
  const systemctl = second.calls.filter((c) => c.startsWith('systemctl '));
  if (systemctl.length > 0) {
    problems.push(`run 2 called ${systemctl.join('; ')}`);
  }
  if (second.tmpLeft.length > 0) {
    problems.push(`run 2 left temporary files: ${second.tmpLeft.join(', ')}`);
  }
  problems.push(...imdsProblems(second, 2));
  return problems;
}

/** Harmless differences of the second run: a file whose bytes and inode stayed but whose mtime moved. */
export function secondRunNotes(result: SandboxResult): string[] {
  const [, first, second] = result.runs;
  return Object.keys(first.stat)
    .filter(
      (p) =>
        second.stat[p] &&
        first.stat[p].type === 'f' &&
        first.files[p] === second.files[p] &&
        first.stat[p].inode === second.stat[p].inode &&
        first.stat[p].mtime !== second.stat[p].mtime,
    )
    .map((p) => `/etc/${p}: same bytes and inode, but its mtime changed in run 2 (touched)`);
}

function imdsProblems(r: BoothookRun, n: number): string[] {
  return r.imds
    .filter((q) => (q.method === 'GET' && !q.tokenValid) || (q.method === 'PUT' && !q.ok))
    .map((q) => `run ${n}: IMDS ${q.method} ${q.path} without a valid IMDSv2 token`);
}

/**
 * A copy of a credentialed boothook whose retry loop does not wait: `  sleep $((attempt * 3))` (3+6+9+12
 * +15 = 45 s over five failed attempts) becomes `  sleep 0`. Nothing else changes; throws when the
 * script no longer has exactly one such line.
 */
export function noRetryWaitCopy(script: string): string {
  const sleep = /^ {2}sleep \$\(\(attempt \* \d+\)\)$/m;
  const n = script.split('\n').filter((l) => new RegExp(sleep.source).test(l)).length;
  if (n !== 1) {
    throw new Error(`the boothook has ${n} retry sleep lines, expected one: the no-wait rewrite needs updating`);
  }
  return script.replace(sleep, '  sleep 0');
}

/** The environment with `userinfo@` put into every proxy URL (written independently of the library). */
export function withUserinfo(env: Record<string, string>, userinfo: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      /^https?_proxy$/i.test(k) ? v.replace(/^(https?:\/\/)/, `$1${userinfo}@`) : v,
    ]),
  );
}

/** The environment with any `userinfo@` removed from the proxy URLs. */
export function withoutUserinfo(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, /^https?_proxy$/i.test(k) ? v.replace(/^(https?:\/\/)[^@/]*@/, '$1') : v]),
  );
}
