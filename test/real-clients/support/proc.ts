/**
 * Running the real programs: tool checks that fail loudly (naming the Debian package CI installs),
 * and child processes that always have a timeout.
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hasRunCache } from './run-cache';

/** Debian's own Python: cloud-init (and its PyYAML) are installed for it, not for pyenv or venvs. */
export const PYTHON = '/usr/bin/python3';

/** Where the support scripts live. */
export const SUPPORT_DIR = __dirname;

/** The tools the suite runs, with the Debian package that brings each one. */
export const TOOLS: Record<string, string> = {
  unshare: 'util-linux',
  nsenter: 'util-linux',
  mount: 'mount',
  ip: 'iproute2',
  curl: 'curl',
  squid: 'squid',
  '/usr/lib/squid/basic_ncsa_auth': "squid (Squid's Basic authentication helper)",
  go: 'golang-go',
  shellcheck: 'shellcheck',
  'systemd-analyze': 'systemd',
  openssl: 'openssl',
  kubectl: "kubectl from the machine image (https://dl.k8s.io), not Debian's old kubectl package",
  [PYTHON]: 'python3',
};

/** Find a program on PATH (or an absolute path); undefined when missing. */
export function which(tool: string): string | undefined {
  if (tool.startsWith('/')) {
    return fs.existsSync(tool) ? tool : undefined;
  }
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  for (const d of dirs) {
    const p = path.join(d, tool);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Throw (never skip) when a tool is missing, naming the package that provides it. */
export function requireTools(...tools: string[]): void {
  const missing = tools.filter((t) => !which(t));
  if (missing.length > 0) {
    throw new Error(
      `real-client tests need ${missing.join(', ')}: install ${missing.map((t) => `${t} (Debian package: ${TOOLS[t] ?? '?'})`).join(', ')}`,
    );
  }
}

/** Throw when not root: the sandboxes use unshare/mount/ip. */
export function requireRoot(): void {
  if (process.getuid && process.getuid() !== 0) {
    throw new Error('real-client sandbox tests need root (unshare --mount --net, mount, ip addr); CI runs as root');
  }
}

/**
 * Check that cloud-init's Python modules import under Debian's python3. Under the real-client global setup
 * they did (it splits every example's user data with them, support/cloudinit.ts), and no suite asks again.
 */
export function requireCloudInit(): void {
  requireTools(PYTHON);
  if (hasRunCache()) {
    return;
  }
  const r = spawnSync(PYTHON, ['-c', 'import cloudinit.user_data, yaml'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) {
    throw cloudInitMissing(r.stderr);
  }
}

/** The error for a python3 without cloud-init's modules, naming the Debian package. */
export function cloudInitMissing(stderr: string): Error {
  return new Error(
    `cloud-init's Python modules are missing for ${PYTHON}: install the Debian package cloud-init (${stderr})`,
  );
}

export interface RunResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The standard input of a child given no `input`: none (/dev/null). Node's default would be one end of a socket
 * pair, and bash takes a socket on standard input for a remote shell (rsh, sshd): with SHLVL unset (npm test
 * started by something other than bash) it then reads /etc/bash.bashrc, which fails under `set -u` (PS1).
 */
const NO_STDIN: SpawnSyncOptions['stdio'] = ['ignore', 'pipe', 'pipe'];

/** Run a program to completion, with a timeout (default 60 s). */
export function run(cmd: string, args: string[], opts: SpawnSyncOptions & { input?: string | Buffer } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
    ...(opts.input === undefined ? { stdio: NO_STDIN } : {}),
    ...opts,
  });
  if (r.error) {
    throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  }
  return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** Run a program that must succeed; return its stdout. */
export function runOk(cmd: string, args: string[], opts: SpawnSyncOptions & { input?: string | Buffer } = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}\n${r.stdout}`.slice(0, 8000),
    );
  }
  return r.stdout;
}

/**
 * The arguments of `unshare` that run one of the support scripts as root of private network, mount and
 * PID namespaces (a fresh /proc, mounts not propagated back), killed with the test: `unshare
 * ...sandboxArgs('curl-matrix.sh', work)`.
 */
export function sandboxArgs(script: string, ...args: string[]): string[] {
  return [
    '--net',
    '--mount',
    '--pid',
    '--fork',
    '--kill-child',
    '--mount-proc',
    '--propagation',
    'private',
    'bash',
    path.join(SUPPORT_DIR, script),
    ...args,
  ];
}

/** A temporary directory removed by `cleanup()`. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cdk-private-eks-${prefix}-`));
}

/** Remove a directory tree, unmounting nothing (sandboxes use private mount namespaces). */
export function removeDir(dir: string | undefined): void {
  if (dir) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A background process started by a test, stopped by `stop()`. */
export class Background {
  public readonly child: ChildProcess;
  private out = '';

  constructor(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
    this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.child.stdout?.on('data', (d) => {
      this.out += d;
    });
    this.child.stderr?.on('data', (d) => {
      this.out += d;
    });
  }

  public get output(): string {
    return this.out;
  }

  public get pid(): number {
    if (this.child.pid === undefined) {
      throw new Error('process did not start');
    }
    return this.child.pid;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  public async stop(graceMs = 3000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Poll `check` until it returns true, at most `timeoutMs`. Every 25 ms: the checks read a small file (a log, a
 * ready file), and a test waits on them often (the Squid suites after every client run).
 */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000, everyMs = 25): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) {
      return;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
