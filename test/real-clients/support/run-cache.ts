/**
 * The real-client run's shared cache: what a real program made of an input, computed by the first suite
 * that needs it and read by the others, in a directory the global setup makes and removes
 * (RUN_CACHE_VARIABLE). Keyed by kind and the SHA-256 of the input; values are JSON. Without the global
 * setup (a suite run on its own by other means) there is no cache and every suite computes its own.
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

/** The value cached for this kind and input in this run, if any. */
export function readRunCache<T>(kind: string, input: string): T | undefined {
  const file = fileOf(kind, input);
  return file && fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : undefined;
}

/** Cache a value for this kind and input, written whole and renamed: another worker reads all or nothing. */
export function writeRunCache(kind: string, input: string, value: unknown): void {
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
