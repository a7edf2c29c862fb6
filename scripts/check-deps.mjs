// Runs dependency-cruiser on lib/ with .dependency-cruiser.js and fails on any rule violation.
//
// Why not the `depcruise` binary: dependency-cruiser 18 refuses to start on Node.js 20 (its CLI checks
// engines ^22||^24||>=26), and this package supports Node.js >= 20. Its programmatic API (the same
// `cruise` the CLI calls, same rules, same reporter) works on Node.js 20, so this script calls that.
// On Node.js 22 or later, `npx depcruise lib --config .dependency-cruiser.js` gives the same result.
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { cruise, format } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

// The CLI's arguments: roots, `--config FILE` (default .dependency-cruiser.js) and `--metrics`.
const args = process.argv.slice(2);
const configAt = args.indexOf('--config');
const configFile = configAt >= 0 ? args[configAt + 1] : '.dependency-cruiser.js';
const roots = args.filter((a, i) => !a.startsWith('-') && (configAt < 0 || i !== configAt + 1));
const outputType = args.includes('--metrics') ? 'metrics' : 'err-long';

const require = createRequire(import.meta.url);
const config = require(path.resolve(configFile));

const tsConfig = extractTSConfig(config.options.tsConfig.fileName);
const result = await cruise(
  roots.length > 0 ? roots : ['lib'],
  { ...config.options, ruleSet: { forbidden: config.forbidden }, validate: true, metrics: outputType === 'metrics' },
  undefined,
  { tsConfig },
);
const report = await format(result.output, { outputType });
process.stdout.write(report.output);
process.exitCode = report.exitCode;
if (result.output.summary.totalDependenciesCruised === 0) {
  // Resolution went wrong (e.g. to excluded files): a check of nothing must not pass.
  process.stderr.write('check-deps: no dependency was cruised; check the resolution options\n');
  process.exitCode = 1;
}
