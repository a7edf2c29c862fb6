/**
 * Check 2: every generated shell script passes `shellcheck -S warning -s bash`: each boothook (as
 * cloud-init writes it; with proxy credentials too; the CA bundle's boothook), each text/x-shellscript part (the AL2 bootstrap.sh
 * call, the ready-signal installer), each script those parts install with a here-document (the
 * ready-signal program), and the user data of proxy instances (EgressProxy's Squid installer).
 */
import { baseType, groupBoothook, groupCaBoothook, groupParts, quotedHeredocs } from './support/cloudinit';
import { PROXY_AUTH_PLACEHOLDER } from '../../lib/nodes/user-data/boothook';
import { allNodeGroups, cleanupSynth, deployments, proxyInstances } from './support/examples';
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

interface Script {
  readonly label: string;
  readonly kind: 'boothook' | 'x-shellscript part' | 'installed program' | 'proxy instance user data';
  readonly script: string;
}

/** Every shell script of every MIME user data. */
function scripts(): Script[] {
  const out: Script[] = [];
  for (const g of allNodeGroups((x) => x.format === 'mime')) {
    const boothook = groupBoothook(g);
    if (boothook !== undefined) {
      out.push({ label: `${g.label}: boothook`, kind: 'boothook', script: boothook });
    }
    const caBoothook = groupCaBoothook(g);
    if (caBoothook !== undefined) {
      out.push({ label: `${g.label}: CA bundle boothook`, kind: 'boothook', script: caBoothook });
    }
    groupParts(g)
      .filter((p) => baseType(p.contentType) === 'text/x-shellscript')
      .forEach((p) => {
        out.push({
          label: `${g.label}: ${p.filename} (text/x-shellscript)`,
          kind: 'x-shellscript part',
          script: p.payload,
        });
        for (const f of quotedHeredocs(p.payload).filter((h) => h.body.startsWith('#!'))) {
          out.push({
            label: `${g.label}: ${f.path} (written by ${p.filename})`,
            kind: 'installed program',
            script: f.body,
          });
        }
      });
  }
  for (const p of deployments().flatMap(proxyInstances)) {
    if (p.userData !== undefined) {
      out.push({ label: `${p.label}: user data`, kind: 'proxy instance user data', script: p.userData });
    }
  }
  return out;
}

const all = scripts();

test('every kind of script is covered', () => {
  expect(new Set(all.map((s) => s.kind))).toEqual(
    new Set(['boothook', 'x-shellscript part', 'installed program', 'proxy instance user data']),
  );
  // The boothook that reads proxy credentials from Secrets Manager is among them.
  expect(
    all.filter(
      (s) =>
        s.kind === 'boothook' &&
        s.script.includes(PROXY_AUTH_PLACEHOLDER) &&
        s.script.includes('aws secretsmanager get-secret-value'),
    ),
  ).toHaveLength(1);
  expect(all.filter((s) => s.kind === 'proxy instance user data' && s.script.includes('squid -k parse'))).toHaveLength(
    1,
  );
  // The AL2 bootstrap.sh call and both ready-signal programs are among them.
  expect(all.filter((s) => s.script.includes('/etc/eks/bootstrap.sh ')).length).toBeGreaterThan(0);
  expect(all.filter((s) => s.kind === 'installed program' && s.script.includes('/opt/aws/bin/cfn-signal')).length).toBe(
    2,
  );
});

test.each(all.map((s) => [s.label, s] as const))('%s passes shellcheck -S warning -s bash', (_l, s) => {
  expect(s.script).toMatch(/^#!\/bin\/bash\n/);
  expect(shellcheckFindings(s.script)).toEqual([]);
});

test('the check can fail: shellcheck flags an unquoted expansion', () => {
  expect(shellcheckFindings('#!/bin/bash\nf=$1\nrm -rf /tmp/$f/*\ncd $f\n').length).toBeGreaterThan(0);
});
