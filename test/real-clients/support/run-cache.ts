/**
 * What a real program made of an input (cloud-init's split, a boothook's /etc/environment, kubectl's patch),
 * computed once: in memory for the test file, and under the global setup for the whole run, in a directory it
 * makes and removes (RUN_CACHE_VARIABLE), where the first suite that needs a value writes it and the others
 * read it. Keyed by kind and input (on disk by the input's SHA-256); values are JSON. Without the global setup
 * (a suite run on its own by other means) each test file computes its own.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { RUN_CACHE_VARIABLE } from './synth-dir';

/** Whether this run has the shared cache, which also means the global setup's checks passed. */
export function hasRunCache(): boolean {
  const dir = process.env[RUN_CACHE_VARIABLE];
  return dir !== undefined && fs.existsSync(dir);
}

function fileOf(kind: string, input: string): string | undefined {
  if (!hasRunCache()) {
    return undefined;
  }
  const dir = path.join(process.env[RUN_CACHE_VARIABLE]!, kind);
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${createHash('sha256').update(input).digest('hex')}.json`);
}

/** This test file's values, by kind and input. */
const memory = new Map<string, unknown>();

/** The value cached for this kind and input, if any: this file's, else the run's. */
export function readRunCache<T>(kind: string, input: string): T | undefined {
  const key = `${kind}\0${input}`;
  if (!memory.has(key)) {
    const file = fileOf(kind, input);
    if (!file || !fs.existsSync(file)) {
      return undefined;
    }
    memory.set(key, JSON.parse(fs.readFileSync(file, 'utf8')));
  }
  return memory.get(key) as T;
}

/** Cache a value for this kind and input, for the file and, written whole and renamed, for the run. */
export function writeRunCache(kind: string, input: string, value: unknown): void {
  memory.set(`${kind}\0${input}`, value);
  const file = fileOf(kind, input);
  if (file) {
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, JSON.stringify(value));
    fs.renameSync(partial, file);
  }
}

/** The cached value for this kind and input, computed (and cached) when there is none yet. */
export function runCached<T>(kind: string, input: string, compute: () => T): T {
  const cached = readRunCache<T>(kind, input);
  if (cached !== undefined) {
    return cached;
  }
  const value = compute();
  writeRunCache(kind, input, value);
  return value;
}
