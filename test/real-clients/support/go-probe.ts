/**
 * The Go probe (test/real-clients/go/noproxy: net/http's ProxyFromEnvironment and DefaultTransport),
 * compiled once per test run. The real-client global setup builds it and hands its path to every worker
 * in CDK_PRIVATE_EKS_GO_PROBE; a test file run on its own (no global setup) builds its own copy once.
 */
import * as fs from 'fs';
import * as path from 'path';
import { removeDir, runOk, tempDir } from './proc';

/** The Go module of the probe. */
export const GO_DIR = path.resolve(__dirname, '..', 'go');

/** The variable that carries the path of the probe built by the global setup. */
export const GO_PROBE_VARIABLE = 'CDK_PRIVATE_EKS_GO_PROBE';

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

/** Compile the probe into `dir`; returns the binary's path. */
export function buildGoProbe(dir: string): string {
  const binary = path.join(dir, 'noproxy');
  fs.mkdirSync(GO_BUILD_CACHE, { recursive: true });
  runOk('go', ['build', '-o', binary, './noproxy'], { cwd: GO_DIR, env: goEnvironment(dir), timeout: 180_000 });
  removeDir(path.join(dir, 'gopath'));
  return binary;
}

let ownBuild: string | undefined;

/** The path of the compiled probe: the global setup's, else one built for this test file. */
export function goProbe(): string {
  const shared = process.env[GO_PROBE_VARIABLE];
  if (shared && fs.existsSync(shared)) {
    return shared;
  }
  if (!ownBuild) {
    const dir = tempDir('goprobe');
    process.once('exit', () => removeDir(dir));
    ownBuild = buildGoProbe(dir);
  }
  return ownBuild;
}
