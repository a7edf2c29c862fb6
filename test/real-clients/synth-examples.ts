/**
 * `node scripts/run-ts.js test/real-clients/synth-examples.ts OUTDIR`: synthesize every example into
 * OUTDIR. The real-client global setup runs it in a child process, as the examples' own cdk.json runs them,
 * so the library's TypeScript sources are what is synthesized: jest's global setup runs under Node's own
 * module resolution, which would pick a stale compiled lib/*.js over the sources.
 */
import { synthesizeExamples } from './support/examples';

if (require.main === module) {
  const outdir = process.argv[2];
  if (!outdir) {
    throw new Error('usage: synth-examples.ts OUTDIR');
  }
  synthesizeExamples(outdir);
}
