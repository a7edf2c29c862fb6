/**
 * The Go programs of the real-client suites (module test/real-clients/go), compiled once per test run:
 * - noproxy, the probe: net/http's ProxyFromEnvironment and DefaultTransport;
 * - stubs, the recording servers the sandboxes start (IMDS, proxy, origin, kubelet healthz, API server).
 * The real-client global setup builds both into one directory and hands it to every worker in
 * CDK_PRIVATE_EKS_GO_PROGRAMS; a test file run on its own (no global setup) builds its own copy once.
 */
import * as fs from 'fs';
import * as path from 'path';
import { removeDir, requireTools, runOk, tempDir } from './proc';

/** The Go module of the programs. */
export const GO_DIR = path.resolve(__dirname, '..', 'go');

/** The variable that carries the directory of the programs built by the global setup. */
export const GO_PROGRAMS_VARIABLE = 'CDK_PRIVATE_EKS_GO_PROGRAMS';

/** The variable the sandbox scripts find the stub servers' binary in (sandbox-lib.sh start_stub). */
export const STUBS_VARIABLE = 'CDK_PRIVATE_EKS_STUBS';

const PROGRAMS = ['noproxy', 'stubs'] as const;

/**
 * Go's build cache, kept between runs where other tools keep theirs (untracked, removed with
 * node_modules): a warm build takes well under a second, a cold one about five.
 */
const GO_BUILD_CACHE = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'node_modules',
  '.cache',
  'cdk-private-eks',
  'go-build',
);

/** The environment `go build` runs with: no module downloads, the shared build cache, the rest under `dir`. */
function goEnvironment(dir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    GOCACHE: GO_BUILD_CACHE,
    GOPATH: path.join(dir, 'gopath'),
    GOPROXY: 'off',
    GOFLAGS: '',
    GOTOOLCHAIN: 'local',
    GO111MODULE: 'on',
    CGO_ENABLED: '0',
  };
}

/** Compile every program into `dir` (one `go build`); returns `dir`. */
export function buildGoPrograms(dir: string): string {
  requireTools('go');
  fs.mkdirSync(GO_BUILD_CACHE, { recursive: true });
  runOk('go', ['build', '-o', `${dir}/`, ...PROGRAMS.map((p) => `./${p}`)], {
    cwd: GO_DIR,
    env: goEnvironment(dir),
    timeout: 180_000,
  });
  removeDir(path.join(dir, 'gopath'));
  return dir;
}

let ownBuild: string | undefined;

/** The directory of the compiled programs: the global setup's, else one built for this test file. */
function programsDir(): string {
  const shared = process.env[GO_PROGRAMS_VARIABLE];
  if (shared && PROGRAMS.every((p) => fs.existsSync(path.join(shared, p)))) {
    return shared;
  }
  if (!ownBuild) {
    const dir = tempDir('go-programs');
    process.once('exit', () => removeDir(dir));
    ownBuild = buildGoPrograms(dir);
  }
  return ownBuild;
}

/** The path of the compiled probe (noproxy). */
export function goProbe(): string {
  return path.join(programsDir(), 'noproxy');
}

/** The path of the compiled stub servers (stubs). */
export function goStubs(): string {
  return path.join(programsDir(), 'stubs');
}

/** The environment for a sandbox script that starts stub servers: this process's, with the stubs' binary. */
export function stubsEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, [STUBS_VARIABLE]: goStubs() };
}
