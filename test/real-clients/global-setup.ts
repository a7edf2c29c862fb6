/**
 * Once per jest run of the real-client suites: synthesize every example and compile the Go probe, and hand
 * both to the workers through environment variables (they inherit the parent's environment). Each suite
 * used to do both itself.
 */
import { SYNTH_DIR_VARIABLE, synthesizeExamples } from './support/examples';
import { buildGoProbe, GO_PROBE_VARIABLE } from './support/go-probe';
import { tempDir } from './support/proc';

export default function globalSetup(): void {
  const synthDir = tempDir('synth-shared');
  const goDir = tempDir('goprobe-shared');
  // Read back by global-teardown.ts (same process).
  process.env.CDK_PRIVATE_EKS_SHARED_DIRS = JSON.stringify([synthDir, goDir]);
  // aws-cdk-lib's CloudFormation validation (4 s of the 5 s synth) is not what these suites check: the
  // synth project (examples.test.ts, nag.test.ts) runs it over every example. Off for this synth only.
  const validation = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    synthesizeExamples(synthDir);
  } finally {
    if (validation === undefined) {
      delete process.env.CDK_VALIDATION;
    } else {
      process.env.CDK_VALIDATION = validation;
    }
  }
  process.env[SYNTH_DIR_VARIABLE] = synthDir;
  process.env[GO_PROBE_VARIABLE] = buildGoProbe(goDir);
}
