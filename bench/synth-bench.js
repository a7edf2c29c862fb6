#!/usr/bin/env node
/*
 * Synth benchmark: cdk-private-eks (examples/proxy-cluster/app.ts) against a hand-written plain
 * aws-eks-v2 private cluster (bench/plain-cluster.ts) of the same shape.
 *
 * Both apps are compiled once with tsc (bench/tsconfig.json) into a temp dir, so TypeScript
 * compilation is not timed. Each synth runs `node app.js` in a fresh child process with a fresh
 * CDK_OUTDIR and CDK_VALIDATION=false, interleaved A, B, A, B, ... after one warm-up of each.
 * Offline, no AWS credentials needed. Exits 0 whatever the numbers; non-zero only when a compile or
 * synth fails.
 *
 * Then the main command a newcomer runs, `npx cdk synth` from the root cdk.json, against the same command
 * with `--app` pointed at the plain app through the same TypeScript runner (cdk.json's `app`, with the
 * script swapped): CLI, runner and TypeScript included, interleaved the same way. The root cdk.json
 * runs the library's TypeScript sources, so this ratio is what a clone pays, where the first one is
 * what an app that installs the package pays.
 *
 * Environment knobs: BENCH_ROUNDS (default 7), BENCH_KEEP=1 (keep the temp dir).
 */
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const ROUNDS = Math.max(1, parseInt(process.env.BENCH_ROUNDS || '7', 10) || 7);
const TIME_TARGET = 1.1;
const SIZE_TARGET = 1.05;
const OWN_ADDITIONS_LIMIT = 1024 * 1024; // "well under 1 MB"

const SIDES = [
  { key: 'ours', label: 'cdk-private-eks (examples/proxy-cluster)', js: 'examples/proxy-cluster/app.js' },
  { key: 'plain', label: 'plain aws-eks-v2 (bench/plain-cluster)', js: 'bench/plain-cluster.js' },
];
/** The example with its preflight off (bench/proxy-cluster-no-preflight.ts): what the preflight adds. */
const NO_PREFLIGHT = {
  key: 'noPreflight',
  label: 'the same, preflight off',
  js: 'bench/proxy-cluster-no-preflight.js',
};
/** The preflight's custom resource type (lib/preflight/preflight.ts). */
const PREFLIGHT_TYPE = 'Custom::CdkPrivateEksPreflight';

let tmp;

function fail(message, detail) {
  console.error(`synth-bench: ${message}`);
  if (detail) console.error(detail);
  cleanup();
  process.exit(1);
}

function cleanup() {
  if (tmp && !process.env.BENCH_KEEP) {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function compile() {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const outDir = path.join(tmp, 'build');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'tsconfig.json'), '--outDir', outDir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) fail('tsc failed', `${r.stdout}${r.stderr}`);
  // The runtime assets beside the compiled library, as in the package (Lambda handlers: lib/**/python).
  fs.cpSync(path.join(ROOT, 'lib'), path.join(outDir, 'lib'), {
    recursive: true,
    filter: (src) => fs.statSync(src).isDirectory() || !/\.(ts|js|map)$/.test(src),
  });
  // Resolve aws-cdk-lib, constructs, cdk8s, ... from the project's node_modules, as a user's app would.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tmp, 'node_modules'), 'dir');
  return { outDir, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

function childEnv(outdir) {
  const env = { ...process.env, CDK_OUTDIR: outdir, CDK_VALIDATION: 'false' };
  delete env.CDK_CONTEXT_JSON;
  delete env.CDK_DEBUG;
  return env;
}

let runCounter = 0;
function synth(side, outDir) {
  const cdkOut = path.join(tmp, `cdk.out-${side.key}-${runCounter++}`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [path.join(outDir, side.js)], {
    cwd: tmp,
    env: childEnv(cdkOut),
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 || r.signal) {
    fail(
      `synth of ${side.label} failed (exit ${r.status}${r.signal ? `, signal ${r.signal}` : ''})`,
      `${r.stdout}${r.stderr}`,
    );
  }
  if (!fs.existsSync(path.join(cdkOut, 'manifest.json'))) fail(`synth of ${side.label} wrote no cloud assembly`);
  return { ms, cdkOut };
}

const MAIN_APP = 'examples/proxy-cluster/app.ts';
const PLAIN_APP = 'bench/plain-cluster.ts';

/** The root cdk.json's app command, and the same command running the plain app instead. */
function mainCommands() {
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).app;
  if (typeof app !== 'string' || !app.includes(MAIN_APP)) {
    fail(`the root cdk.json app does not run ${MAIN_APP}: ${app}`);
  }
  return { ours: app, plain: app.replace(MAIN_APP, PLAIN_APP) };
}

/** `npx cdk synth` from the repository root, the app given by cdk.json (ours) or by --app (plain). */
function cliSynth(key, commands) {
  const cdkOut = path.join(tmp, `cli-${key}-${runCounter++}`);
  const cdk = require.resolve('aws-cdk/bin/cdk', { paths: [ROOT] });
  const args = [
    cdk,
    'synth',
    '--quiet',
    '--lookups=false',
    '-o',
    cdkOut,
    ...(key === 'plain' ? ['--app', commands.plain] : []),
  ];
  const env = { ...childEnv(cdkOut), CDK_DISABLE_CLI_TELEMETRY: 'true' };
  delete env.CDK_OUTDIR;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 || r.signal) fail(`cdk synth (${key}) failed (exit ${r.status})`, `${r.stdout}${r.stderr}`);
  if (!fs.existsSync(path.join(cdkOut, 'manifest.json'))) fail(`cdk synth (${key}) wrote no cloud assembly`);
  fs.rmSync(cdkOut, { recursive: true, force: true });
  return ms;
}

function mainCommandRatio() {
  const commands = mainCommands();
  console.log('');
  console.log('The main command: `npx cdk synth` from the root cdk.json (CLI, TypeScript runner and all):');
  console.log(`  ours:  ${commands.ours}`);
  console.log(`  plain: the same with --app "${commands.plain}"`);
  const times = { ours: [], plain: [] };
  for (let round = 0; round <= ROUNDS; round++) {
    for (const key of ['ours', 'plain']) {
      const ms = cliSynth(key, commands);
      if (round > 0) times[key].push(ms);
    }
    if (round > 0) {
      console.log(
        `  round ${round}/${ROUNDS}: ours ${times.ours[round - 1].toFixed(0)} ms, plain ${times.plain[round - 1].toFixed(0)} ms`,
      );
    }
  }
  const ratio = median(times.ours) / median(times.plain);
  const minRatio = Math.min(...times.ours) / Math.min(...times.plain);
  console.log(`  median ours ${median(times.ours).toFixed(0)} ms, plain ${median(times.plain).toFixed(0)} ms`);
  console.log(
    `  ratio ours/plain: median ${ratio.toFixed(3)}, min ${minRatio.toFixed(3)}   target <= ${TIME_TARGET.toFixed(2)}   ${verdict(ratio <= TIME_TARGET)}`,
  );
  return ratio;
}

function walkSize(p) {
  const st = fs.lstatSync(p);
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((n, e) => n + walkSize(path.join(p, e)), 0);
}

function assemblyStats(dir) {
  let total = 0;
  let withoutAssets = 0;
  for (const e of fs.readdirSync(dir)) {
    const size = walkSize(path.join(dir, e));
    total += size;
    if (!e.startsWith('asset.')) withoutAssets += size;
  }
  const templates = fs.readdirSync(dir).filter((f) => f.endsWith('.template.json'));
  const lambdas = [];
  const layers = [];
  const frameworkFunctions = [];
  const customTypes = {};
  let resources = 0;
  for (const f of templates) {
    const t = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    for (const [id, r] of Object.entries(t.Resources || {})) {
      resources++;
      const props = r.Properties || {};
      if (r.Type === 'AWS::Lambda::Function' || r.Type === 'AWS::Serverless::Function') {
        lambdas.push(id);
        const desc = typeof props.Description === 'string' ? props.Description : '';
        const handler = typeof props.Handler === 'string' ? props.Handler : '';
        if (desc.includes('resource provider framework') || handler.startsWith('framework.'))
          frameworkFunctions.push(id);
      } else if (r.Type === 'AWS::Lambda::LayerVersion') {
        layers.push(id);
      }
      if (r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource') {
        customTypes[r.Type] = (customTypes[r.Type] || 0) + 1;
      }
    }
  }
  return {
    total,
    withoutAssets,
    templates: templates.length,
    resources,
    lambdas,
    layers,
    frameworkFunctions,
    customTypes,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mb = (n) => `${(n / 1024 / 1024).toFixed(2)} MB`;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const verdict = (ok) => (ok ? 'PASS' : 'MISS');

/** Median in-process require() time of cdk8s (with its yaml, fast-json-patch, ... deps), when our lib loads it. */
function cdk8sRequireCost(outDir) {
  const libDir = path.join(outDir, 'lib');
  const usesCdk8s = fs
    .readdirSync(libDir, { recursive: true })
    .filter((f) => f.endsWith('.js'))
    .some((f) => /require\("cdk8s"\)/.test(fs.readFileSync(path.join(libDir, f), 'utf8')));
  if (!usesCdk8s) return undefined;
  const code =
    'const t=process.hrtime.bigint();require("cdk8s");process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';
  const samples = [];
  for (let i = 0; i < 5; i++) {
    const r = spawnSync(process.execPath, ['-e', code], { cwd: tmp, encoding: 'utf8' });
    if (r.status !== 0) return undefined;
    samples.push(parseFloat(r.stdout));
  }
  return median(samples);
}

function main() {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-private-eks-bench-'));
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  console.log('cdk-private-eks synth benchmark');
  console.log(
    `node ${process.version}, ${os.cpus().length} CPU(s), aws-cdk-lib ${require(require.resolve('aws-cdk-lib/package.json', { paths: [ROOT] })).version}`,
  );
  console.log(
    "CDK_VALIDATION=false on BOTH sides (aws-cdk-lib's built-in CloudFormation validation is a fixed ~1.8 s cost for both; users keep it on).",
  );

  const build = compile();
  console.log(`Compiled both apps with tsc in ${build.seconds.toFixed(1)} s (not timed below).`);
  console.log(
    `Each synth: \`node app.js\` in a fresh child process, fresh CDK_OUTDIR; 1 warm-up each, then ${ROUNDS} interleaved rounds (ours, plain, ours, plain, ...).`,
  );
  console.log('');

  const times = { ours: [], plain: [], noPreflight: [] };
  const stats = {};
  for (let round = 0; round <= ROUNDS; round++) {
    for (const side of [...SIDES, NO_PREFLIGHT]) {
      const { ms, cdkOut } = synth(side, build.outDir);
      if (round > 0) times[side.key].push(ms);
      const s = assemblyStats(cdkOut);
      if (stats[side.key] && stats[side.key].total !== s.total) {
        console.log(
          `  note: ${side.key} cdk.out size changed between runs (${stats[side.key].total} -> ${s.total} bytes)`,
        );
      }
      stats[side.key] = s;
      fs.rmSync(cdkOut, { recursive: true, force: true });
    }
    if (round > 0) {
      console.log(
        `  round ${round}/${ROUNDS}: ours ${times.ours[round - 1].toFixed(0)} ms, plain ${times.plain[round - 1].toFixed(0)} ms`,
      );
    }
  }

  const o = stats.ours;
  const p = stats.plain;
  const medO = median(times.ours);
  const medP = median(times.plain);
  const minO = Math.min(...times.ours);
  const minP = Math.min(...times.plain);
  const timeRatio = medO / medP;
  const sizeRatio = o.total / p.total;
  const ownAdditions = o.withoutAssets - p.withoutAssets;

  console.log('');
  console.log('Synth wall time (child process, incl. node start-up and module loading):');
  for (const side of SIDES) {
    const t = times[side.key];
    console.log(
      `  ${side.label.padEnd(42)} median ${median(t).toFixed(0).padStart(5)} ms   min ${Math.min(...t)
        .toFixed(0)
        .padStart(5)} ms`,
    );
  }
  console.log(
    `  ratio ours/plain: median ${timeRatio.toFixed(3)}, min ${(minO / minP).toFixed(3)}   target <= ${TIME_TARGET.toFixed(2)}   ${verdict(timeRatio <= TIME_TARGET)}`,
  );

  console.log('');
  console.log('cdk.out size:');
  for (const side of SIDES) {
    const s = stats[side.key];
    console.log(
      `  ${side.label.padEnd(42)} total ${mb(s.total).padStart(9)}   without asset.* ${kb(s.withoutAssets).padStart(9)}`,
    );
  }
  console.log(
    `  ratio ours/plain (total): ${sizeRatio.toFixed(4)}   target <= ${SIZE_TARGET.toFixed(2)}   ${verdict(sizeRatio <= SIZE_TARGET)}`,
  );
  console.log(
    `  ours without asset.*: ${kb(o.withoutAssets)} (${ownAdditions >= 0 ? '+' : ''}${kb(ownAdditions)} vs plain)   target well under 1 MB   ${verdict(o.withoutAssets < OWN_ADDITIONS_LIMIT)}`,
  );

  console.log('');
  console.log('Templates:');
  for (const side of SIDES) {
    const s = stats[side.key];
    const custom =
      Object.entries(s.customTypes)
        .sort()
        .map(([t, n]) => `${t} x${n}`)
        .join(', ') || 'none';
    console.log(`  ${side.label}: ${s.resources} resources in ${s.templates} template(s)`);
    console.log(
      `    AWS::Lambda::Function: ${s.lambdas.length} (provider framework functions: ${s.frameworkFunctions.length}), AWS::Lambda::LayerVersion: ${s.layers.length}`,
    );
    console.log(`    custom resources: ${custom}`);
  }
  // The preflight is the one function the library adds on purpose: counted apart, below.
  const extraTypes = Object.keys(o.customTypes).filter((t) => !(t in p.customTypes) && t !== PREFLIGHT_TYPE);
  const n = stats.noPreflight;
  const noExtra =
    n.lambdas.length <= p.lambdas.length &&
    o.frameworkFunctions.length <= p.frameworkFunctions.length &&
    o.layers.length <= p.layers.length &&
    extraTypes.length === 0;
  console.log(
    `  ours adds no Lambda function, layer, provider or custom-resource type beyond the plain one, but the preflight: ${noExtra ? 'yes' : 'NO'}   ${verdict(noExtra)}`,
  );
  const preflightMs = median(times.ours) - median(times.noPreflight);
  console.log(
    `  the preflight adds: ${o.lambdas.length - n.lambdas.length} Lambda function(s), ${o.frameworkFunctions.length - n.frameworkFunctions.length} provider framework function(s), ` +
      `custom resource ${PREFLIGHT_TYPE} x${o.customTypes[PREFLIGHT_TYPE] ?? 0}, cdk.out +${kb(o.total - n.total)} (+${kb(o.withoutAssets - n.withoutAssets)} without asset.*), ` +
      `synth time ${preflightMs >= 0 ? '+' : ''}${preflightMs.toFixed(0)} ms (median ${median(times.noPreflight).toFixed(0)} ms without it)`,
  );
  if (extraTypes.length > 0) console.log(`    extra custom-resource types: ${extraTypes.join(', ')}`);
  console.log(
    '  (custom-resource instances may differ: ours patches aws-node and kube-proxy, the plain one only aws-node; all go through the same kubectl provider)',
  );
  const cdk8sMs = cdk8sRequireCost(build.outDir);
  if (cdk8sMs !== undefined) {
    console.log('');
    console.log(
      `Note: the proxy ConfigMap is built with cdk8s, loaded only for clusters with a proxy (as in this example); ` +
        `require('cdk8s') alone takes ${cdk8sMs.toFixed(0)} ms (median of 5), ${((100 * cdk8sMs) / medP).toFixed(1)}% of the plain synth time.`,
    );
  }
  const mainRatio = mainCommandRatio();
  console.log('');
  console.log('Summary:');
  console.log(`  library only (compiled apps, node app.js): ours/plain median ${timeRatio.toFixed(3)}`);
  console.log(`  main command (npx cdk synth, root cdk.json): ours/plain median ${mainRatio.toFixed(3)}`);
  console.log('');
  console.log('PASS/MISS are targets of a benchmark, not a test: the exit code is 0 either way.');
}

try {
  main();
} finally {
  cleanup();
}
