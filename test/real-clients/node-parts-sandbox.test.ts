/**
 * Check 3b: the text/x-shellscript parts of every Amazon Linux group that has them (self-managed
 * AL2023 and AL2; AL2 on a pinned AMI), run as root in a sandbox after the boothook, in cloud-init's
 * order (support/node-parts-sandbox.sh):
 *
 * - the AL2 bootstrap part calls a recording /etc/eks/bootstrap.sh once, with the cluster name and
 *   each of --apiserver-endpoint, --b64-cluster-ca, --dns-cluster-ip exactly once, with the resolved
 *   values, and with the proxy environment from /etc/environment;
 * - the ready-signal part writes /usr/local/bin/cdk-private-eks-ready-signal (0755) and its unit,
 *   reloads systemd and starts the unit without blocking; systemd-analyze verify accepts the unit;
 * - the installed program, started the way systemd starts it (clean environment): with a stub
 *   kubelet answering on 127.0.0.1:10248/healthz (inside the sandbox's network namespace) it calls a
 *   recording /opt/aws/bin/cfn-signal with --exit-code 0 and the group's --stack/--resource/--region;
 *   with nothing listening it calls --exit-code 1 once its deadline passes. For that run the test uses
 *   a copy of the program with the deadline cut from `N * 60` seconds to 3 and `sleep 10` to `sleep 1`
 *   (support/node-parts.ts shortTimeoutCopy: two lines changed, nothing else).
 */
import { baseType, groupBoothook, groupParts, quotedHeredocs } from './support/cloudinit';
import { allNodeGroups, cleanupSynth, clusterOf, manifests, NodeGroup, roleMaySignal } from './support/examples';
import {
  argvProblems,
  NodePartsResult,
  runNodeParts,
  shortTimeoutCopy,
  signalProblems,
  SIGNAL_PROGRAM,
  SIGNAL_UNIT,
} from './support/node-parts';
import { requireCloudInit, requireRoot, requireTools } from './support/proc';
import { ipv4 } from './support/resolvers';
import { BOOTHOOK_PROFILES } from './support/sandbox';

beforeAll(() => {
  requireRoot();
  requireTools('unshare', 'ip', 'mount', 'systemd-analyze', 'curl');
  requireCloudInit();
});
afterAll(() => cleanupSynth());

/** Seconds the short-timeout copy waits for kubelet. */
const SHORT_TIMEOUT = 3;

const withScripts = allNodeGroups(
  (g) => g.format === 'mime' && groupParts(g).some((p) => baseType(p.contentType) === 'text/x-shellscript'),
);

test('covers self-managed AL2023 and AL2', () => {
  expect(
    withScripts
      .filter((g) => g.spec.management === 'self-managed')
      .map((g) => g.spec.family)
      .sort(),
  ).toEqual(['AL2', 'AL2023']);
});

/** The kubelet units the signal must be ordered after, per family (written down from the AMIs). */
const KUBELET_UNITS: Record<string, string[]> = {
  AL2023: ['nodeadm-run.service', 'kubelet.service'],
  AL2: ['kubelet.service'],
};

describe.each(withScripts.map((g) => [g.label, g] as const))('%s', (_label, g: NodeGroup) => {
  const family = g.spec.family as 'AL2023' | 'AL2';
  const selfManaged = g.spec.management === 'self-managed';
  let result: NodePartsResult;
  let env: Record<string, string>;
  let program: string;
  let unit: string;

  beforeAll(() => {
    env = manifests(g.d).find((m) => m.kind === 'ConfigMap').data;
    const parts = groupParts(g);
    const scripts = parts
      .filter((p) => baseType(p.contentType) === 'text/x-shellscript')
      .map((p, i) => ({ name: `${p.filename}-${i}`, script: p.payload }));
    if (selfManaged) {
      [{ body: program }, { body: unit }] = quotedHeredocs(scripts[scripts.length - 1].script);
    }
    result = runNodeParts(
      BOOTHOOK_PROFILES[family],
      [{ name: 'boothook', script: groupBoothook(g)! }, ...scripts],
      selfManaged
        ? [
            { name: 'healthy', healthz: true, program: 'installed' },
            { name: 'no-kubelet', healthz: false, program: { script: shortTimeoutCopy(program, SHORT_TIMEOUT) } },
          ]
        : [],
    );
  });

  test('every part exits 0 without writing to stderr', () => {
    expect(result.parts.map((p) => [p.name, p.rc, p.stderr])).toEqual(result.parts.map((p) => [p.name, 0, '']));
  });

  if (family === 'AL2') {
    test('bootstrap.sh is called once, every flag exactly once with the resolved values, with the proxy environment', () => {
      const calls = result.parts.flatMap((p) => p.bootstrap);
      expect(calls).toHaveLength(1);
      const c = clusterOf(g.d);
      const flags: Record<string, string> = {
        '--apiserver-endpoint': c.endpoint,
        '--b64-cluster-ca': c.certificateAuthority,
        '--dns-cluster-ip': ipv4(c.serviceCidr, 10),
      };
      const kubelet = [
        ...(Object.keys(g.spec.labels ?? {}).length > 0
          ? [
              `--node-labels=${Object.entries(g.spec.labels!)
                .map(([k, v]) => `${k}=${v}`)
                .join(',')}`,
            ]
          : []),
        ...((g.spec.taints ?? []).length > 0 ? [`--register-with-taints=${g.spec.taints!.join(',')}`] : []),
      ];
      if (kubelet.length > 0) {
        flags['--kubelet-extra-args'] = kubelet.join(' ');
      }
      expect(argvProblems(calls[0].argv, [c.name], flags)).toEqual([]);
      // bootstrap.sh's own AWS calls (e.g. max-pods-calculator.sh) get the proxy.
      expect(calls[0].env).toEqual(env);
    });
  }

  if (selfManaged) {
    const want = () => ({ stack: g.d.example.stackId, resource: g.owner.logicalId, region: g.d.region });

    test('the signal part installs the program (0755) and the unit, reloads systemd and starts the unit without blocking', () => {
      const signalPart = result.parts[result.parts.length - 1];
      expect(signalPart.calls).toEqual([
        'systemctl daemon-reload',
        'systemctl start --no-block cdk-private-eks-ready-signal.service',
      ]);
      // The signal is sent by the unit, once kubelet is up, never by the user data itself.
      expect(result.parts.flatMap((p) => p.cfnSignal)).toEqual([]);
      expect(result.installed[SIGNAL_PROGRAM]).toEqual({ type: 'regular file', mode: '755', content: program });
      expect(result.installed[SIGNAL_UNIT]).toEqual({ type: 'regular file', mode: '644', content: unit });
      expect(g.owner.type).toBe('AWS::AutoScaling::AutoScalingGroup');
      // The group waits for the signal.
      expect(g.d.template.Resources[g.owner.logicalId].CreationPolicy?.ResourceSignal?.Count).toBeGreaterThanOrEqual(1);
      // The instance role may send it (cfn-signal / cfsignal sign with the role's credentials).
      expect(roleMaySignal(g)).toBe(true);
    });

    test('the unit: a oneshot after kubelet whose ExecStart is the installed program; systemd-analyze verify accepts it', () => {
      const lines = unit.split('\n');
      expect(lines).toContain(`ExecStart=${SIGNAL_PROGRAM}`);
      expect(lines).toContain('Type=oneshot');
      const after = lines.filter((l) => l.startsWith('After=')).flatMap((l) => l.slice(6).split(/\s+/));
      expect(after).toEqual(expect.arrayContaining(KUBELET_UNITS[family]));
      expect(result.verify).toEqual({ rc: 0, out: '', err: '' });
    });

    test('kubelet healthy: the program asks 127.0.0.1:10248/healthz directly and signals --exit-code 0 for this group', () => {
      const r = result.runs.healthy;
      expect(r.rc).toBe(0);
      expect(r.healthz.map((h) => [h.method, h.path])).toEqual([['GET', '/healthz']]);
      expect(signalProblems(r.cfnSignal, 0, want())).toEqual([]);
      // cfn-signal gets the proxy environment: CloudFormation through its endpoint or the proxy.
      expect(r.cfnSignal[0].env).toEqual(env);
    });

    test(`no kubelet: after the deadline (cut to ${SHORT_TIMEOUT} s) the program signals --exit-code 1`, () => {
      const r = result.runs['no-kubelet'];
      expect(r.rc).toBe(0);
      expect(r.healthz).toEqual([]);
      expect(signalProblems(r.cfnSignal, 1, want())).toEqual([]);
      expect(r.seconds).toBeGreaterThanOrEqual(SHORT_TIMEOUT - 1);
      expect(r.seconds).toBeLessThan(SHORT_TIMEOUT + 15);
    });
  }
});
