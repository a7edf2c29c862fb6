/**
 * Check 3: every boothook (AL2023 and AL2), run twice as root in a sandbox (private mount, PID and
 * network namespaces; an overlay over /etc; a stub IMDSv2 on 169.254.169.254; recording stubs for
 * systemctl, cloud-init-per, dnf, yum, nodeadm). The first run writes one /etc/environment block, one
 * proxy= line in the package manager's [main] (dnf.conf on AL2023, yum.conf on AL2) and the drop-ins
 * of the family's units and reloads systemd; the second run changes and reloads nothing. The
 * drop-ins are parsed by systemd itself (systemd-analyze verify) and by a strict syntax check.
 * Groups of one deployment and family with byte-identical boothooks are run once.
 *
 * A boothook with proxy credentials (authenticated-proxy) runs with a stub `aws` CLI that returns the
 * test secret: its files must carry the URL-encoded credentials and be root-only (0600); the
 * credential-specific checks are in proxy-credentials-sandbox.test.ts.
 */
import { renderSystemdDropIn } from '../../lib/proxy/render-environment';
import { groupBoothook } from './support/cloudinit';
import { sandboxOptionsFor } from './support/credentials';
import {
  allNodeGroups,
  cleanupSynth,
  credentialsOf,
  manifests,
  NodeGroup,
  TEST_PROXY_USERINFO,
} from './support/examples';
import { requireCloudInit, requireRoot, requireTools } from './support/proc';
import {
  BOOTHOOK_PROFILES,
  firstRunProblems,
  runBoothookInSandbox,
  SandboxResult,
  secondRunNotes,
  secondRunProblems,
  withUserinfo,
} from './support/sandbox';
import { strictDropInCheck, systemdParseDropIn, systemdParseDropIns } from './support/systemd';

beforeAll(() => {
  requireRoot();
  requireTools('unshare', 'ip', 'mount', 'systemd-analyze');
  requireCloudInit();
});
afterAll(() => cleanupSynth());

/** The distinct boothooks: one entry per deployment, family and script text, with the groups sharing it. */
function distinctBoothooks(): Array<{ label: string; family: 'AL2023' | 'AL2'; groups: NodeGroup[]; script: string }> {
  const out: Array<{ label: string; family: 'AL2023' | 'AL2'; groups: NodeGroup[]; script: string }> = [];
  for (const g of allNodeGroups((x) => x.format === 'mime' && x.d.example.hasProxy)) {
    const script = groupBoothook(g);
    if (script === undefined || g.spec.family === 'BOTTLEROCKET') {
      throw new Error(`${g.label}: a proxied Amazon Linux group without a boothook`);
    }
    const same = out.find((o) => o.groups[0].d === g.d && o.family === g.spec.family && o.script === script);
    if (same) {
      same.groups.push(g);
    } else {
      out.push({ label: '', family: g.spec.family, groups: [g], script });
    }
  }
  return out.map((o) => ({
    ...o,
    label: `${o.groups[0].d.label} — ${o.family} boothook [${o.groups.map((g) => g.spec.id).join(', ')}]`,
  }));
}

const hooks = distinctBoothooks();

test('the boothooks of both Amazon Linux families are covered', () => {
  expect(new Set(hooks.map((h) => h.family))).toEqual(new Set(['AL2023', 'AL2']));
});

describe.each(hooks.map((h) => [h.label, h] as const))('%s', (_label, h) => {
  const profile = BOOTHOOK_PROFILES[h.family];
  const d = h.groups[0].d;
  const credentialed = credentialsOf(d) !== undefined;
  let result: SandboxResult;
  let env: Record<string, string>;

  beforeAll(() => {
    // What every other consumer must match: the ConfigMap the pods read (the NodeConfig's for AL2023, checked in cloud-init.test.ts),
    // with the credentials of the stub secret in the proxy URLs when the proxy authenticates.
    const configMap = manifests(d).find((m) => m.kind === 'ConfigMap').data;
    env = credentialed ? withUserinfo(configMap, TEST_PROXY_USERINFO) : configMap;
    result = runBoothookInSandbox(h.script, 2, profile.units, profile, sandboxOptionsFor(d));
  });

  test(
    `first run: one /etc/environment block, one proxy= line in [main] of /etc/${profile.packageManagerConfig}, drop-ins, daemon-reload` +
      (credentialed ? ' (root-only files with the credentials)' : ''),
    () => {
      expect(firstRunProblems(result, env, env.HTTPS_PROXY, profile, { mode: credentialed ? '600' : '644' })).toEqual(
        [],
      );
      const first = result.runs[1];
      expect(first.calls.filter((c) => c === 'systemctl daemon-reload')).toHaveLength(1);
      // Only the SSM agent runs before cloud-init's boothooks; containerd and kubelet start later.
      expect(first.calls.filter((c) => c.startsWith('systemctl ') && c !== 'systemctl daemon-reload')).toEqual([
        'systemctl try-restart --no-block amazon-ssm-agent.service',
      ]);
      expect(first.calls.filter((c) => /^(dnf|yum|nodeadm|cloud-init-per) /.test(c))).toEqual([]);
    },
  );

  test('second run: every file byte-identical, nothing rewritten, no reload or restart', () => {
    expect(secondRunProblems(result)).toEqual([]);
    expect(result.runs[2].calls).toEqual([]);
    const notes = secondRunNotes(result);
    if (notes.length > 0) {
      // Not a failure: same bytes, same inode, only the timestamp moved (e.g. `touch`).
      console.warn(`${h.label}: ${notes.join('; ')}`);
    }
  });

  test.each(profile.units)('drop-in for %s passes the strict syntax check and carries the environment', (unit) => {
    const files = Object.entries(result.runs[2].files).filter(([p]) =>
      p.startsWith(`systemd/system/${unit}.service.d/`),
    );
    expect(files).toHaveLength(1);
    const check = strictDropInCheck(files[0][1]);
    expect(check.problems).toEqual([]);
    expect(check.environment).toEqual(env);
  });

  test.each(profile.units)('systemd-analyze verify (in the sandbox) loads the %s drop-in without complaint', (unit) => {
    const parsed = result.systemd[unit];
    expect(parsed.complaints).toEqual([]);
    expect(parsed.rc).toBe(0);
    expect(parsed.dropInPaths.filter((p) => p.startsWith(`/etc/systemd/system/${unit}.service.d/`))).toHaveLength(1);
    expect(parsed.environment).toEqual(env);
  });

  test('IMDS: any request the boothook makes uses an IMDSv2 token', () => {
    for (const r of result.runs.slice(1)) {
      for (const q of r.imds) {
        expect(q.method === 'PUT' ? q.ok : q.tokenValid).toBe(true);
      }
    }
  });
});

describe('the systemd escaping rule, confirmed by systemd-analyze verify', () => {
  const tricky = {
    PERCENT: '100%',
    SPECIFIER_LOOKALIKE: '%n%h%%',
    QUOTE: 'say "hi"',
    BACKSLASH: 'C:\\path\\',
    ENCODED: 'http://proxy.example:3128/?a=%2F&b=%40',
    DOLLAR: '$HOME ${PATH}',
  };

  test("renderSystemdDropIn values come back unchanged from systemd's parser and the strict check", () => {
    const dropIn = renderSystemdDropIn(tricky);
    const parsed = systemdParseDropIn(dropIn);
    expect(parsed.complaints).toEqual([]);
    expect(parsed.environment).toEqual(tricky);
    expect(strictDropInCheck(dropIn)).toEqual({ problems: [], environment: tricky });
  });

  test('the check can fail: a single % is expanded by systemd and rejected by the strict check', () => {
    const bad = '[Service]\nEnvironment="A=100%n"\nEnvironment="B=50%"\n';
    const parsed = systemdParseDropIn(bad, 'percent-check');
    // %n is the unit name: systemd does not keep the text as written. (A lone trailing % is kept by
    // systemd 252, but is still invalid syntax, which the strict check reports.)
    expect(parsed.environment.A).toBe('100percent-check.service');
    expect(parsed.environment.B).toBe('50%');
    expect(strictDropInCheck(bad).problems).toHaveLength(2);
  });

  test("one verify of several units (as in the sandbox) keeps each unit's environment and complaints apart", () => {
    const parsed = systemdParseDropIns({
      first: renderSystemdDropIn({ HTTP_PROXY: 'http://first.example:3128' }),
      second: renderSystemdDropIn({ HTTP_PROXY: 'http://second.example:3128', NO_PROXY: 'localhost' }),
      broken: '[Service]\nEnvironment="A=1"\nNotADirective=yes\n',
    });
    expect(parsed.first.environment).toEqual({ HTTP_PROXY: 'http://first.example:3128' });
    expect(parsed.second.environment).toEqual({ HTTP_PROXY: 'http://second.example:3128', NO_PROXY: 'localhost' });
    expect(parsed.first.complaints).toEqual([]);
    expect(parsed.second.complaints).toEqual([]);
    expect(parsed.broken.complaints.join('\n')).toContain('NotADirective');
    expect(parsed.broken.environment).toEqual({ A: '1' });
  });
});
