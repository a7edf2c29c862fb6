#!/usr/bin/env node
// Fails when API.md is not what jsii-docgen generates from the current build (.jsii).
// Run `npm run build && npm run docgen` to refresh it.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'api-md-'));
const generated = path.join(tmp, 'API.md');
try {
  execFileSync(path.join(root, 'node_modules', '.bin', 'jsii-docgen'), ['-o', generated], {
    cwd: root,
    stdio: 'inherit',
  });
  const committed = path.join(root, 'API.md');
  const want = fs.readFileSync(generated, 'utf8');
  const have = fs.existsSync(committed) ? fs.readFileSync(committed, 'utf8') : '';
  if (want !== have) {
    const wantLines = want.split('\n');
    const haveLines = have.split('\n');
    const first = wantLines.findIndex((l, i) => l !== haveLines[i]);
    console.error(`API.md is stale: it differs from jsii-docgen's output from line ${first + 1}:`);
    console.error(`  committed: ${JSON.stringify(haveLines[first])}`);
    console.error(`  generated: ${JSON.stringify(wantLines[first])}`);
    console.error('Run `npm run build && npm run docgen` and commit API.md.');
    process.exit(1);
  }
  console.log('API.md is current.');
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
