/**
 * Check 2: every generated shell script (the boothook, as cloud-init writes it) passes
 * `shellcheck -S warning -s bash`.
 */
import { boothooks } from './support/cloudinit';
import { cleanupSynth, deployments } from './support/examples';
import { requireCloudInit, requireTools, run } from './support/proc';

beforeAll(() => {
  requireTools('shellcheck');
  requireCloudInit();
});
afterAll(() => cleanupSynth());

/** shellcheck's findings (gcc format), empty when clean. */
function shellcheckFindings(script: string): string[] {
  const r = run('shellcheck', ['-S', 'warning', '-s', 'bash', '-f', 'gcc', '-'], { input: script, timeout: 60_000 });
  if (r.status !== 0 && r.stdout.trim() === '') {
    throw new Error(`shellcheck failed to run (${r.status}): ${r.stderr}`);
  }
  return r.stdout.split('\n').filter(Boolean);
}

const proxied = deployments((e) => e.hasProxy);

test.each(proxied.map((d) => [d.label, d] as const))('%s: boothook passes shellcheck -S warning -s bash', (_l, d) => {
  const scripts = boothooks(d);
  expect(scripts.length).toBeGreaterThan(0);
  for (const { script } of scripts) {
    expect(shellcheckFindings(script)).toEqual([]);
  }
});

test('the check can fail: shellcheck flags an unquoted expansion', () => {
  expect(shellcheckFindings('#!/bin/bash\nf=$1\nrm -rf /tmp/$f/*\ncd $f\n').length).toBeGreaterThan(0);
});
