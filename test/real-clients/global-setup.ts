/**
 * Once per jest run of the real-client suites: synthesize every example, compile the Go programs (the probe and
 * the stub servers) and make the run's shared cache (support/run-cache.ts), and hand them to the workers through
 * environment variables (they inherit the parent's environment).
 */
import * as path from 'path';
import { buildGoPrograms, GO_PROGRAMS_VARIABLE } from './support/go-programs';
import { runOk, tempDir } from './support/proc';
import { RUN_CACHE_VARIABLE, SYNTH_DIR_VARIABLE } from './support/synth-dir';

const ROOT = path.resolve(__dirname, '..', '..');

export default function globalSetup(): void {
  const synthDir = tempDir('synth-shared');
  const goDir = tempDir('go-programs-shared');
  const runCacheDir = tempDir('run-cache');
  // Read back by global-teardown.ts (same process).
  process.env.CDK_PRIVATE_EKS_SHARED_DIRS = JSON.stringify([synthDir, goDir, runCacheDir]);
  process.env[RUN_CACHE_VARIABLE] = runCacheDir;
  // In a child process through scripts/run-ts.js (SWC, TypeScript sources first), as the examples' cdk.json
  // runs them: this process resolves modules as Node does and would load a stale compiled lib/*.js instead.
  // aws-cdk-lib's CloudFormation validation (4 s of the 5 s synth) is off: the synth project
  // (examples.test.ts) runs it over every example.
  runOk(
    process.execPath,
    [path.join(ROOT, 'scripts', 'run-ts.js'), path.join(__dirname, 'synth-examples.ts'), synthDir],
    {
      cwd: ROOT,
      env: { ...process.env, CDK_VALIDATION: 'false' },
      timeout: 180_000,
    },
  );
  process.env[SYNTH_DIR_VARIABLE] = synthDir;
  process.env[GO_PROGRAMS_VARIABLE] = buildGoPrograms(goDir);
}
