/**
 * The python3 the unit tests run (the Lambda handlers and wrappers are Python): the one on PATH, resolved once
 * a test file. Where PATH leads to a pyenv shim, every call of `python3` is a bash script that starts about
 * fifteen processes to find the interpreter (0.4 s a call measured, against 0.05 s for the interpreter itself);
 * asking that interpreter for its own path once, then running it directly, is the same Python without them.
 */
import { execFileSync } from 'child_process';

let resolved: string | undefined;

/** The absolute path of the python3 that PATH leads to. */
export function python3(): string {
  resolved ??= execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8',
    timeout: 30_000,
  }).trim();
  if (!resolved.startsWith('/')) {
    throw new Error(`python3 did not name its own executable (sys.executable = ${JSON.stringify(resolved)})`);
  }
  return resolved;
}
