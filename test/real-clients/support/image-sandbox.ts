import * as fs from 'fs';
import * as path from 'path';
import { run, sandboxArgs } from './proc';

/**
 * Run one of the image sandboxes (image-cache-sandbox.sh, registry-mirrors-sandbox.sh) on `work` and return
 * the exit code of each pull, in the order of `work/pull`.
 */
export function runImageSandbox(script: string, work: string): number[] {
  const r = run('unshare', sandboxArgs(script, work), { timeout: 90_000 });
  if (r.status !== 0) {
    throw new Error(`${script} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  }
  return fs
    .readFileSync(path.join(work, 'result'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => Number(line.split(' ')[1]));
}
