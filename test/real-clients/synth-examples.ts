/**
 * `node scripts/run-ts.js test/real-clients/synth-examples.ts OUTDIR`: synthesize every example into
 * OUTDIR. The real-client global setup runs it in a child process, as the examples' own cdk.json runs them,
 * so the library's TypeScript sources are what is synthesized: jest's global setup runs under Node's own
 * module resolution, which would pick a stale compiled lib/*.js over the sources.
 *
 * Under the global setup (its run cache named in the environment, support/run-cache.ts), it then splits the
 * user data of every example's launch templates and node groups with cloud-init, in one run, into that cache.
 */
import { splitAll } from './support/cloudinit';
import { deployments, launchTemplates, nodeGroups, synthesizeExamples } from './support/examples';
import { hasRunCache } from './support/run-cache';
import { SYNTH_DIR_VARIABLE } from './support/synth-dir';

if (require.main === module) {
  const outdir = process.argv[2];
  if (!outdir) {
    throw new Error('usage: synth-examples.ts OUTDIR');
  }
  synthesizeExamples(outdir);
  if (hasRunCache()) {
    process.env[SYNTH_DIR_VARIABLE] = outdir;
    splitAll(
      deployments().flatMap((d) => [
        ...launchTemplates(d).flatMap((lt) => (lt.userData === undefined ? [] : [lt.userData])),
        ...nodeGroups(d).flatMap((g) => (g.format === 'mime' && g.userData !== undefined ? [g.userData] : [])),
      ]),
    );
  }
}
