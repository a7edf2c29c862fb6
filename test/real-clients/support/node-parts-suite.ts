/**
 * Check 3b (node-parts-sandbox-al2023.test.ts, node-parts-sandbox-al2.test.ts): the text/x-shellscript parts of every Amazon Linux group that has them (self-managed
 * AL2023 and AL2; AL2 on a pinned AMI), run as root in a sandbox after the boothook, in cloud-init's
 * order (support/node-parts-sandbox.sh):
 *
 * - the AL2 bootstrap part calls a recording /etc/eks/bootstrap.sh once, with the cluster name and
 *   each of --apiserver-endpoint, --b64-cluster-ca, --dns-cluster-ip exactly once, with the resolved
 *   values, and with the proxy environment from /etc/environment;
 * - the ready-signal part writes /usr/local/bin/cdk-private-eks-ready-signal (0755) and its unit,
 *   reloads systemd and starts the unit without blocking; systemd-analyze verify accepts the unit;
 * - the installed program is what renderReadySignalProgram makes of the group's stack, resource, region
 *   and cluster (resolved from the template) with the family's kubelet token command;
 * - the same renderer's program for a test API server (a stub, HTTPS with a CA made by openssl now, at a
 *   namespace-local address under the API server's real domain, so NO_PROXY must send curl there
 *   directly) and short durations (20 s, 3 s unreachable, 1 s between checks: renderer input, no
 *   environment switch), run as systemd runs it (clean environment), with a recording cfn-signal, a stub
 *   token command printing an ExecCredential, the recording proxy stub, a stub kubelet health endpoint,
 *   /dev/console replaced by a file:
 *   (a) node Ready at once: SelfSubjectReview, then GET of its own Node, both with the token: exit code 0;
 *   (b) NotReady twice, then Ready: it waits and sends 0;
 *   (c) nothing listens on the proxy's address: exit code 1 within seconds (far below the 20 s), the
 *       reason on the console and in the journal (standard output); likewise with no API server;
 *   (d) the boothook's no-credentials marker: exit code 1 at once with its reason;
 *   (e) never Ready, no kubelet: exit code 1 at the deadline, saying what it saw.
 */
import { baseType, groupBoothook, groupParts, quotedHeredocs } from './cloudinit';
import { allNodeGroups, cleanupSynth, clusterOf, manifests, NodeGroup, roleMaySignal } from './examples';
import {
  argvProblems,
  NodePartsResult,
  runNodeParts,
  SignalNetwork,
  signalProblems,
  SignalRun,
  SIGNAL_PROGRAM,
  SIGNAL_UNIT,
  TEST_NODE_NAME,
  TEST_TOKEN,
  testSignalNetwork,
} from './node-parts';
import { AL2_KUBELET_TOKEN } from '../../../lib/nodes/user-data/al2';
import { AL2023_KUBELET_TOKEN } from '../../../lib/nodes/user-data/al2023';
import { renderReadySignalProgram } from '../../../lib/nodes/user-data/ready-signal';
import { ClusterBootstrap, ReadySignal } from '../../../lib/nodes/user-data/family';
import { requireCloudInit, requireRoot, requireTools } from './proc';
import { ipv4 } from './resolvers';
import { BOOTHOOK_PROFILES } from './sandbox';

/** The test program's durations (seconds). */
const SHORT = { timeoutSeconds: 20, unreachableSeconds: 3, pollSeconds: 1 };
/** The never-ready run's deadline (seconds). */
const NEVER_READY_TIMEOUT = 5;
const NODE_NAME = TEST_NODE_NAME;
const TOKEN = TEST_TOKEN;

/** kubelet's token command, written down from the AMIs' kubeconfigs (amazon-eks-ami), not from the library. */
const TOKEN_ARGV: Record<string, (name: string, region: string) => string> = {
  AL2023: (name, region) => `eks get-token --cluster-name ${name} --region ${region}`,
  AL2: (name, region) => `token -i ${name} --region ${region}`,
};

/**
 * The suite for one family's groups whose user data has shell-script parts; one test file per family, so
 * that jest runs the families' sandboxes (mostly waiting on the short deadlines below) side by side.
 */
export function nodePartsSuite(family: 'AL2023' | 'AL2'): void {
  beforeAll(() => {
    requireRoot();
    requireTools('unshare', 'ip', 'mount', 'systemd-analyze', 'curl');
    requireCloudInit();
  });
  afterAll(() => cleanupSynth());
  const withScripts = allNodeGroups(
    (g) =>
      g.spec.family === family &&
      g.format === 'mime' &&
      groupParts(g).some((p) => baseType(p.contentType) === 'text/x-shellscript'),
  );

  test(`covers self-managed ${family}`, () => {
    expect(withScripts.filter((g) => g.spec.management === 'self-managed').map((g) => g.spec.family)).toEqual([family]);
  });

  /** The kubelet units the signal must be ordered after, per family (written down from the AMIs). */
  const KUBELET_UNITS: Record<string, string[]> = {
    AL2023: ['nodeadm-run.service', 'kubelet.service'],
    AL2: ['kubelet.service'],
  };

  describe.each(withScripts.map((g) => [g.label, g] as const))('%s', (_label, g: NodeGroup) => {
    const selfManaged = g.spec.management === 'self-managed';
    let result: NodePartsResult;
    let env: Record<string, string>;
    let program: string;
    let unit: string;

    let want: { stack: string; resource: string; region: string };
    let apiHost: string;

    beforeAll(() => {
      env = manifests(g.d).find((m) => m.kind === 'ConfigMap').data;
      want = { stack: g.d.example.stackId, resource: g.owner.logicalId, region: g.d.region };
      const net = selfManaged ? testSignalNetwork(g.d.region, env.HTTPS_PROXY) : undefined;
      apiHost = net?.apiHost ?? '';
      const network: SignalNetwork | undefined = net?.network;
      const testProgram = (timeoutSeconds: number) =>
        renderReadySignalProgram(
          { stackName: want.stack, logicalId: want.resource, region: want.region, ...SHORT, timeoutSeconds },
          {
            cluster: {
              ...exampleCluster(),
              endpoint: `https://${apiHost}`,
              certificateAuthority: Buffer.from(net!.caPem).toString('base64'),
            },
            tokenCommand: tokenCommand(),
            after: [],
          },
        );
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
              {
                name: 'ready',
                healthz: true,
                apiNotReadyGets: 0,
                proxy: true,
                program: { script: testProgram(SHORT.timeoutSeconds) },
              },
              {
                name: 'not-ready-twice',
                healthz: true,
                apiNotReadyGets: 2,
                proxy: true,
                program: { script: testProgram(SHORT.timeoutSeconds) },
              },
              {
                name: 'proxy-unreachable',
                healthz: true,
                apiNotReadyGets: 1000,
                proxy: false,
                program: { script: testProgram(SHORT.timeoutSeconds) },
              },
              {
                name: 'api-unreachable',
                healthz: true,
                proxy: true,
                program: { script: testProgram(SHORT.timeoutSeconds) },
              },
              {
                name: 'no-credentials',
                healthz: true,
                apiNotReadyGets: 0,
                proxy: true,
                blocked: true,
                program: { script: testProgram(SHORT.timeoutSeconds) },
              },
              {
                name: 'never-ready',
                healthz: false,
                apiNotReadyGets: 1000,
                proxy: true,
                program: { script: testProgram(NEVER_READY_TIMEOUT) },
              },
            ]
          : [],
        network,
      );
    });

    /** The example's cluster as the node group's user data gets it (resolved from the template). */
    function exampleCluster(): ClusterBootstrap {
      const c = clusterOf(g.d);
      return { ...c, dnsClusterIp: ipv4(c.serviceCidr, 10) };
    }
    function tokenCommand() {
      return family === 'AL2023' ? AL2023_KUBELET_TOKEN : AL2_KUBELET_TOKEN;
    }
    /** The reason line, as the journal (standard output) and the console both show it. */
    function reasonOf(r: SignalRun): string {
      return r.stdout;
    }

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
      test('the signal part installs the program (0755) and the unit, reloads systemd and starts the unit without blocking', () => {
        const signalPart = result.parts[result.parts.length - 1];
        expect(signalPart.calls).toEqual([
          'systemctl daemon-reload',
          'systemctl start --no-block cdk-private-eks-ready-signal.service',
        ]);
        // The signal is sent by the unit, once the node is Ready, never by the user data itself.
        expect(result.parts.flatMap((p) => p.cfnSignal)).toEqual([]);
        expect(result.installed[SIGNAL_PROGRAM]).toEqual({ type: 'regular file', mode: '755', content: program });
        expect(result.installed[SIGNAL_UNIT]).toEqual({ type: 'regular file', mode: '644', content: unit });
        expect(g.owner.type).toBe('AWS::AutoScaling::AutoScalingGroup');
        // The group waits for the signal.
        expect(g.d.template.Resources[g.owner.logicalId].CreationPolicy?.ResourceSignal?.Count).toBeGreaterThanOrEqual(
          1,
        );
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

      test("the installed program is the renderer's output for this group, cluster and family (the runs below use the same renderer with a test API server and short durations)", () => {
        const durations = Object.fromEntries(
          program.split('\n').flatMap((l) => {
            const m = /^(timeout_s|unreachable_s|poll_s)=(\d+)$/.exec(l);
            return m ? [[m[1], Number(m[2])]] : [];
          }),
        );
        // The group's signal timeout (default 15 min) less 4 min of boot; 3 min unreachable; every 10 s.
        expect(durations).toEqual({ timeout_s: 660, unreachable_s: 180, poll_s: 10 });
        const signal: ReadySignal = {
          stackName: want.stack,
          logicalId: want.resource,
          region: want.region,
          timeoutSeconds: durations.timeout_s,
          unreachableSeconds: durations.unreachable_s,
          pollSeconds: durations.poll_s,
        };
        expect(program).toBe(
          renderReadySignalProgram(signal, { cluster: exampleCluster(), tokenCommand: tokenCommand(), after: [] }),
        );
      });

      test("(a) node Ready: SelfSubjectReview then its own Node, with kubelet's token; the proxy answers; exit code 0 for this group", () => {
        const r = result.runs.ready;
        expect(r.rc).toBe(0);
        expect(r.apiserver.map((q) => [q.method, q.path, q.authorized])).toEqual([
          ['POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', true],
          ['GET', `/api/v1/nodes/${NODE_NAME}`, true],
        ]);
        expect(JSON.parse(r.apiserver[0].body)).toEqual({
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'SelfSubjectReview',
        });
        // The token command as kubelet's kubeconfig runs it, for this cluster and region.
        expect(r.tokenCalls[0]).toBe(TOKEN_ARGV[family](clusterOf(g.d).name, g.d.region));
        // The proxy was only probed (a TCP connection), the API server reached directly (NO_PROXY).
        expect(r.proxy.filter((q) => q.method !== '')).toEqual([]);
        expect(signalProblems(r.cfnSignal, 0, want)).toEqual([]);
        // cfn-signal gets the proxy environment: CloudFormation through its endpoint or the proxy.
        expect(r.cfnSignal[0].env).toEqual(env);
        expect(reasonOf(r)).toBe(`cdk-private-eks ready signal: node ${NODE_NAME} is Ready (signalling exit code 0)\n`);
        expect(r.console).toBe(r.stdout);
        expect(r.stdout + r.stderr + r.console).not.toContain(TOKEN);
      });

      test('(b) NotReady twice, then Ready: it waits (one check a second) and sends exit code 0', () => {
        const r = result.runs['not-ready-twice'];
        expect(r.rc).toBe(0);
        expect(r.apiserver.filter((q) => q.method === 'GET').length).toBe(3);
        expect(signalProblems(r.cfnSignal, 0, want)).toEqual([]);
        expect(r.seconds).toBeGreaterThanOrEqual(2);
      });

      test(`(c) proxy unreachable: exit code 1 after ${SHORT.unreachableSeconds} s, far below the ${SHORT.timeoutSeconds} s deadline, the reason on the console and in the journal`, () => {
        const r = result.runs['proxy-unreachable'];
        const proxyUrl = new URL(env.HTTPS_PROXY);
        const reason = `cdk-private-eks ready signal: the proxy ${proxyUrl.hostname}:${proxyUrl.port} accepted no connection for ${SHORT.unreachableSeconds}s (signalling exit code 1)\n`;
        expect(signalProblems(r.cfnSignal, 1, want)).toEqual([]);
        expect(r.rc).toBe(1);
        expect(r.stdout).toBe(reason);
        expect(r.console).toBe(reason);
        // bash counts whole seconds (SECONDS), so "3 s" may end a little before 3 s of wall time.
        expect(r.seconds).toBeGreaterThanOrEqual(SHORT.unreachableSeconds - 1);
        expect(r.seconds).toBeLessThan(SHORT.timeoutSeconds / 2);
      });

      test('(c) API server unreachable: exit code 1 after a few seconds, naming the endpoint', () => {
        const r = result.runs['api-unreachable'];
        expect(signalProblems(r.cfnSignal, 1, want)).toEqual([]);
        expect(r.stdout).toBe(
          `cdk-private-eks ready signal: the API server https://${apiHost} does not answer for ${SHORT.unreachableSeconds}s (signalling exit code 1)\n`,
        );
        expect(r.console).toBe(r.stdout);
        expect(r.seconds).toBeLessThan(SHORT.timeoutSeconds / 2);
      });

      test("(d) the boothook's no-credentials marker: exit code 1 at once, with its reason", () => {
        const r = result.runs['no-credentials'];
        expect(signalProblems(r.cfnSignal, 1, want)).toEqual([]);
        expect(r.apiserver).toEqual([]);
        expect(r.stdout).toBe(
          'cdk-private-eks ready signal: the node has no proxy credentials, kubelet is kept from starting: cannot read the proxy credentials from Secrets Manager (test) (signalling exit code 1)\n',
        );
        expect(r.console).toBe(r.stdout);
        expect(r.seconds).toBeLessThan(2);
      });

      test(`(e) never Ready, no kubelet: exit code 1 at the ${NEVER_READY_TIMEOUT} s deadline, saying what it saw`, () => {
        const r = result.runs['never-ready'];
        expect(signalProblems(r.cfnSignal, 1, want)).toEqual([]);
        expect(r.stdout).toBe(
          `cdk-private-eks ready signal: not Ready after ${NEVER_READY_TIMEOUT}s: node ${NODE_NAME} is not Ready (Ready=False); kubelet is not healthy (signalling exit code 1)\n`,
        );
        expect(r.seconds).toBeGreaterThanOrEqual(NEVER_READY_TIMEOUT - 1);
        expect(r.seconds).toBeLessThan(NEVER_READY_TIMEOUT + 15);
      });
    }
  });
}
