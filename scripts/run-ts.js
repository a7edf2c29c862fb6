#!/usr/bin/env node
/**
 * `node scripts/run-ts.js FILE.ts [ARGS...]`: run a TypeScript program of this repository (an example app,
 * the real-client suite's synth) on its TypeScript sources, as the root and the examples' cdk.json do.
 *
 * - TypeScript first: `require('../../lib')` loads lib/index.ts even when a jsii build left a lib/index.js
 *   beside it (that file can be stale), as ts-node's --prefer-ts-exts does.
 * - Types stripped by SWC with the options jest uses (scripts/swc-options.js); nothing is type-checked here.
 * - Each file's output is cached under node_modules/.cache/cdk-private-eks-ts, keyed by a hash of its path,
 *   its text, the SWC version and the options, so a synth transpiles only the files changed since the last
 *   one. ts-node transpiled all of them at every synth: `npm run bench` measures what that cost.
 * - Stack traces point at the TypeScript lines (inline source maps, Node's own support).
 */
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');
const OPTIONS = require('./swc-options');

const CACHE_DIR = path.join(__dirname, '..', 'node_modules', '.cache', 'cdk-private-eks-ts');
const SALT = JSON.stringify([require('@swc/core/package.json').version, OPTIONS]);
/** SWC's native binding, loaded on the first cache miss only (loading it costs about 30 ms a synth). */
let swc;

/** The module's JavaScript: from the cache, or transpiled and stored (atomically: concurrent runs share it). */
function compiled(filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(SALT).update('\0').update(filename).update('\0').update(source);
  const cached = path.join(CACHE_DIR, `${key.digest('hex')}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  swc ??= require('@swc/core');
  const { code } = swc.transformSync(source, { ...OPTIONS, filename, swcrc: false, configFile: false });
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const partial = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(partial, code);
    fs.renameSync(partial, cached);
  } catch {
    // a read-only tree: run without the cache
  }
  return code;
}

/** Register `.ts` before every other extension, so that Node's resolution tries it first. */
function register() {
  const others = { ...Module._extensions };
  for (const ext of Object.keys(Module._extensions)) {
    delete Module._extensions[ext];
  }
  Module._extensions['.ts'] = (module, filename) => module._compile(compiled(filename), filename);
  Object.assign(Module._extensions, others);
  process.setSourceMapsEnabled(true);
}

function main() {
  const [script, ...args] = process.argv.slice(2);
  if (!script) {
    console.error('usage: node scripts/run-ts.js FILE.ts [ARGS...]');
    process.exit(2);
  }
  register();
  const entry = path.resolve(script);
  process.argv = [process.argv[0], entry, ...args];
  Module.runMain(entry);
}

main();
