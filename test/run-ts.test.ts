/**
 * scripts/run-ts.js, the TypeScript runner of the example apps' cdk.json, run as they run it (`node
 * scripts/run-ts.js FILE.ts`) on a small program in a temporary folder: TypeScript sources before a compiled
 * .js beside them, the entry as require.main, its arguments, a changed file never served from the cache, and
 * stack traces on the TypeScript lines.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const RUN_TS = path.resolve(__dirname, '..', 'scripts', 'run-ts.js');

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-private-eks-run-ts-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): void {
  fs.writeFileSync(path.join(dir, name), text);
}

function runTs(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [RUN_TS, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('loads module.ts before a compiled module.js beside it, runs the entry as require.main with its arguments', () => {
  write('module.ts', "export const source: string = 'typescript';\n");
  write('module.js', "exports.source = 'stale compiled javascript';\n");
  write(
    'app.ts',
    [
      "import { source } from './module';",
      'const main: boolean = require.main === module;',
      'console.log(JSON.stringify({ source, main, args: process.argv.slice(2) }));',
      '',
    ].join('\n'),
  );
  const r = runTs('app.ts', 'one', '--two');
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual({ source: 'typescript', main: true, args: ['one', '--two'] });
});

test('a file changed since the last run is transpiled anew, not taken from the cache', () => {
  write('app.ts', 'const value: number = 1;\nconsole.log(value);\n');
  expect(runTs('app.ts').stdout).toBe('1\n');
  write('app.ts', 'const value: number = 2;\nconsole.log(value);\n');
  expect(runTs('app.ts').stdout).toBe('2\n');
  // And the first text again: from the cache, still right.
  write('app.ts', 'const value: number = 1;\nconsole.log(value);\n');
  expect(runTs('app.ts').stdout).toBe('1\n');
});

test('an error names the TypeScript file and line', () => {
  write('app.ts', ['interface Props {', '  readonly name: string;', '}', "throw new Error('planted');", ''].join('\n'));
  const r = runTs('app.ts');
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain('Error: planted');
  expect(r.stderr).toContain(`${path.join(dir, 'app.ts')}:4`);
});

test('without a file it prints its usage and fails', () => {
  const r = runTs();
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('usage: node scripts/run-ts.js FILE.ts');
});
