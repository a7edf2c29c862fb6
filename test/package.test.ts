/**
 * What `npm publish` would ship, read from npm itself (`npm pack --dry-run --json`): the compiled library
 * and its declarations, the jsii assembly, the Lambda assets, README, LICENSE and CHANGELOG; no tests, no
 * examples, no TypeScript sources, no tooling. Needs the jsii build (`npm run build`, which `npm test`
 * runs first).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

function packedFiles(): string[] {
  if (!fs.existsSync(path.join(ROOT, 'lib', 'index.js')) || !fs.existsSync(path.join(ROOT, '.jsii'))) {
    throw new Error('lib/index.js or .jsii is missing: run `npm run build` (npm test does) before this test');
  }
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, npm_config_loglevel: 'silent' },
  });
  return (JSON.parse(out)[0].files as { path: string }[]).map((f) => f.path);
}

const files = packedFiles();
const own = files.filter((f) => !f.startsWith('node_modules/'));

test('the compiled library, declarations and jsii assembly are in the package', () => {
  expect(own).toEqual(expect.arrayContaining(['lib/index.js', 'lib/index.d.ts', '.jsii', 'package.json']));
  // Every TypeScript source of lib/ ships as JavaScript with its declarations.
  const sources = fs
    .readdirSync(path.join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => `lib/${f.replace(/\.ts$/, '')}`);
  expect(sources.length).toBeGreaterThan(10);
  for (const s of sources) {
    expect(own).toContain(`${s}.js`);
    expect(own).toContain(`${s}.d.ts`);
  }
});

test('the Lambda assets (files under lib/ that are not TypeScript) are in the package', () => {
  const assets = fs
    .readdirSync(path.join(ROOT, 'lib'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !/\.(ts|js)$/.test(e.name) && !e.name.endsWith('.pyc'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
  expect(assets.length).toBeGreaterThan(0);
  expect(own).toEqual(expect.arrayContaining(assets));
});

test('README, LICENSE, CHANGELOG and API.md are in the package', () => {
  expect(own).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'CHANGELOG.md', 'API.md']));
});

test('cdk8s is bundled (jsii requires non-jsii dependencies to be bundled)', () => {
  expect(files).toContain('node_modules/cdk8s/package.json');
});

test('no tests, examples, TypeScript sources, tooling or caches', () => {
  const unwanted = own.filter(
    (f) =>
      /^(test|examples|bench|scripts|\.ci|dist|coverage)\//.test(f) ||
      (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
      /(^|\/)(tsconfig[^/]*\.json|jest\.config\.js|cdk\.json|eslint\.config\.mjs|\.prettierrc\.json|\.prettierignore|\.dependency-cruiser\.js)$/.test(
        f,
      ) ||
      /(__pycache__|\.pyc$|\.tsbuildinfo$)/.test(f),
  );
  expect(unwanted).toEqual([]);
});
