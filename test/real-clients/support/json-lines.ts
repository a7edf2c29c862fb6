/**
 * One JSON value a line: what the clients print (support/urllib_fetch.py, the Go probe), what the stub servers
 * (go/stubs), the recording stubs and Squid's JSON access log write. A line that is not JSON throws.
 */
import * as fs from 'fs';

/** The values of `text`, one a non-empty line. */
export function jsonLines<T = any>(text: string): T[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** The values in `file` so far; none while the file does not exist (a log nothing has written to yet). */
export function jsonLinesOf<T = any>(file: string): T[] {
  return fs.existsSync(file) ? jsonLines<T>(fs.readFileSync(file, 'utf8')) : [];
}
