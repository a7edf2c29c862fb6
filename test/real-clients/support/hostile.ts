/** Shared steps of the property tests that feed generated hostile values to real consumers (hostile-*.test.ts). */
import * as fs from 'fs';
import * as path from 'path';
import { removeDir, run, tempDir } from './proc';

/**
 * Write `files` (name to content) into a fresh temporary folder and run one bash process over them:
 * `script` gets the folder as `$1` and `args` after it. Returns what it printed (stdout and stderr);
 * `read` may read result files from the folder before it is removed.
 */
export function runOverFiles(
  files: Record<string, string>,
  script: string,
  args: string[] = [],
  read: (dir: string) => void = () => undefined,
): string {
  const dir = tempDir('hostile');
  try {
    for (const [name, content] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, name), content, { mode: 0o755 });
    }
    const r = run('bash', ['-c', script, 'bash', dir, ...args], { timeout: 120_000 });
    read(dir);
    return r.stdout + r.stderr;
  } finally {
    removeDir(dir);
  }
}

/** Every generated value was either refused or accepted, and both happened: the generator reaches both sides. */
export function expectBothOutcomes(total: number, refused: number, accepted: number): void {
  expect(refused + accepted).toBe(total);
  expect(refused).toBeGreaterThan(0);
  expect(accepted).toBeGreaterThan(0);
}
