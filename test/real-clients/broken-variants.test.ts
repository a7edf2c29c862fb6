/**
 * Check 7: the checkers can fail. Each test breaks a generated artefact the way a regression would
 * and asserts that the same checker the real tests use reports it.
 */
import { bottlerocketProxyEnv, effectiveSettings, parseSettings } from './support/bottlerocket';
import { baseType, boothooks, groupBoothook, groupParts } from './support/cloudinit';
import { awsStubFor } from './support/credentials';
import {
  allNodeGroups,
  cleanupSynth,
  clusterOf,
  deployments,
  manifests,
  networkOf,
  nodeGroups,
  patches,
  roleMaySignal,
  TEST_PROXY_USERINFO,
} from './support/examples';
import { generatedEtcEnvironment } from './support/generated';
import { applyPatchProblems, fixture, kubectlPatch } from './support/kube';
import { argvProblems, runNodeParts, signalProblems, SIGNAL_PROGRAM, testSignalNetwork } from './support/node-parts';
import { AL2_KUBELET_TOKEN } from '../../lib/nodes/user-data/al2';
import { renderReadySignalProgram } from '../../lib/nodes/user-data/ready-signal';
import { PYTHON, requireCloudInit, requireRoot, requireTools } from './support/proc';
import { ipv4, probes, resolverMatrix } from './support/resolvers';
import {
  BOOTHOOK_PROFILES,
  firstRunProblems,
  runBoothookInSandbox,
  secondRunProblems,
  withUserinfo,
} from './support/sandbox';

const main = deployments((e) => e.key === 'proxy-cluster').find((d) => d.region === 'us-east-1')!;

beforeAll(() => {
  requireRoot();
  requireTools('unshare', 'ip', 'mount', 'go', 'curl', 'kubectl', 'systemd-analyze', PYTHON);
  requireCloudInit();
});
afterAll(() => {
  cleanupSynth();
});

test('a boothook with a non-idempotent line fails the twice-run check', () => {
  const [{ script }] = boothooks(main);
  const broken = `${script.replace(/\n*$/, '\n')}echo X >> /etc/environment\n`;
  const result = runBoothookInSandbox(broken, 2);
  expect(result.runs[1].rc).toBe(0);
  const problems = secondRunProblems(result);
  expect(problems).toContainEqual(expect.stringMatching(/^\/etc\/environment changed in run 2/));
  // The unbroken script passes the same check (same sandbox, same checker).
  expect(secondRunProblems(runBoothookInSandbox(script, 2))).toEqual([]);
});

test('a boothook that copies its new file instead of renaming it fails the first-run check (half-replaced files)', () => {
  const [{ script }] = boothooks(main);
  const rename = '  mv -f "$new" "$path"';
  expect(script.split(rename)).toHaveLength(2);
  const result = runBoothookInSandbox(script.replace(rename, '  cp "$new" "$path"'), 1);
  expect(result.runs[1].rc).toBe(0);
  const problems = firstRunProblems(result, {}, 'http://proxy.corp.example:3128', BOOTHOOK_PROFILES.AL2023);
  expect(problems).toContain('run 1 left a half-replaced file /etc/environment.cdk-private-eks-new');
  expect(problems).toContainEqual(
    expect.stringMatching(/half-replaced file \/etc\/systemd\/system\/kubelet\.service\.d\//),
  );
});

test('an AL2023 boothook on an AL2 node fails the AL2 checks (no yum.conf proxy, no docker or sandbox-image drop-in)', () => {
  const [{ script }] = boothooks(main);
  const result = runBoothookInSandbox(script, 1, [], BOOTHOOK_PROFILES.AL2);
  expect(result.runs[1].rc).toBe(0);
  const problems = firstRunProblems(result, {}, 'http://proxy.corp.example:3128', BOOTHOOK_PROFILES.AL2);
  // (It leaves /etc/dnf alone: it only edits dnf.conf when the file exists.)
  expect(problems).toEqual([
    expect.stringMatching(/^yum\.conf has 0 proxy= lines, expected one/),
    'no drop-in under /etc/systemd/system/docker.service.d/',
    'no drop-in under /etc/systemd/system/sandbox-image.service.d/',
  ]);
});

describe('broken credentialed boothooks (authenticated-proxy) fail the credentials checks', () => {
  const d = deployments((e) => e.credentials !== undefined)[0];
  const g = nodeGroups(d)[0];
  const profile = BOOTHOOK_PROFILES.AL2023;
  const run = (script: string) =>
    runBoothookInSandbox(script, 1, [], profile, { region: d.region, aws: awsStubFor(d) });
  const expected = () => withUserinfo(manifests(d).find((m) => m.kind === 'ConfigMap').data, TEST_PROXY_USERINFO);

  test('placeholder substitution removed: the URLs do not carry the credentials', () => {
    const script = groupBoothook(g)!;
    const fill = / \| fill_auth "\$auth(?:_systemd)?"/g;
    // /etc/environment, dnf.conf, the drop-ins.
    expect(script.match(fill)).toHaveLength(3);
    const broken = script.replace(fill, '');
    const env = expected();
    const result = run(broken);
    expect(result.runs[1].rc).toBe(0);
    const problems = firstRunProblems(result, env, env.HTTPS_PROXY, profile, { mode: '600' });
    for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) {
      expect(problems).toContain(
        `/etc/environment ${k}=http://@@CDK_PRIVATE_EKS_PROXY_AUTH@@@proxy.corp.example:3128 differs from the NodeConfig's ${env[k]}`,
      );
    }
    expect(problems).toContain(
      `dnf/dnf.conf has 'proxy=http://@@CDK_PRIVATE_EKS_PROXY_AUTH@@@proxy.corp.example:3128', expected 'proxy=${env.HTTPS_PROXY}'`,
    );
    expect(problems).toContain('/etc/environment still has the credentials placeholder @@CDK_PRIVATE_EKS_PROXY_AUTH@@');
    expect(problems.filter((p) => /^\/etc\/systemd\/system\/.*placeholder/.test(p))).toHaveLength(profile.units.length);
    // The unbroken script passes the same check.
    expect(firstRunProblems(run(script), env, env.HTTPS_PROXY, profile, { mode: '600' })).toEqual([]);
  });

  test('/etc/environment written 0644 with the credentials: the root-only check fails', () => {
    const script = groupBoothook(g)!;
    const line = '| replace_file /etc/environment 0600 || true';
    expect(script.split(line)).toHaveLength(2);
    const broken = script.replace(line, '| replace_file /etc/environment 0644 || true');
    const env = expected();
    const result = run(broken);
    expect(result.runs[1].rc).toBe(0);
    expect(result.runs[1].files.environment).toContain(TEST_PROXY_USERINFO);
    expect(firstRunProblems(result, env, env.HTTPS_PROXY, profile, { mode: '600' })).toEqual([
      '/etc/environment has mode 644, expected 600',
    ]);
  });
});

test('the sandbox IMDS stub serves IMDSv2 and the check flags a request without a token', () => {
  const script = [
    '#!/bin/bash',
    'set -euo pipefail',
    'imds=http://169.254.169.254',
    't=$(curl -sS --noproxy "*" --max-time 3 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 60" "$imds/latest/api/token")',
    'curl -sS --noproxy "*" --max-time 3 -H "X-aws-ec2-metadata-token: $t" "$imds/latest/meta-data/instance-id"',
    'curl -sS --noproxy "*" --max-time 3 "$imds/latest/meta-data/instance-id" >/dev/null || true',
    '',
  ].join('\n');
  const result = runBoothookInSandbox(script, 1);
  expect(result.runs[1].stdout).toBe('i-0123456789abcdef0');
  expect(result.runs[1].imds.map((q) => [q.method, q.path, q.ok ?? q.tokenValid])).toEqual([
    ['PUT', '/latest/api/token', true],
    ['GET', '/latest/meta-data/instance-id', true],
    ['GET', '/latest/meta-data/instance-id', false],
  ]);
  expect(firstRunProblems(result, {}, '')).toContain(
    'run 1: IMDS GET /latest/meta-data/instance-id without a valid IMDSv2 token',
  );
});

test('a NO_PROXY missing one endpoint host fails the resolver check, for all three clients', () => {
  const env = generatedEtcEnvironment(nodeGroups(main)[0]);
  const missing = `sts.${main.region}.${main.urlSuffix}`;
  const drop = (v: string) =>
    v
      .split(',')
      .filter((e) => e !== missing)
      .join(',');
  expect(drop(env.NO_PROXY)).not.toBe(env.NO_PROXY);
  const broken = { ...env, NO_PROXY: drop(env.NO_PROXY), no_proxy: drop(env.no_proxy) };
  const rows = resolverMatrix(broken, probes(main, networkOf(main)));
  const failing = rows.filter((r) => r.mismatches.length > 0);
  expect(failing.map((r) => r.host)).toEqual([missing]);
  expect(failing[0].mismatches).toEqual(['go', 'curl', 'python']);
  expect(failing[0].actual).toEqual({ go: 'proxy', curl: 'proxy', python: 'proxy' });
});

test('a Bottlerocket no-proxy list missing one endpoint host fails the resolver check, for all three clients', () => {
  const g = allNodeGroups((x) => x.spec.family === 'BOTTLEROCKET' && x.spec.management === 'self-managed')[0];
  const settings = parseSettings(g);
  const missing = `sts.${g.d.region}.${g.d.urlSuffix}`;
  const list: string[] = settings.settings.network['no-proxy'];
  expect(list).toContain(missing);
  settings.settings.network['no-proxy'] = list.filter((e) => e !== missing);
  const env = bottlerocketProxyEnv(effectiveSettings(settings));
  const https = probes(g.d, networkOf(g.d)).filter((p) => p.url.startsWith('https://'));
  const rows = resolverMatrix(env, https);
  const failing = rows.filter((r) => r.mismatches.length > 0);
  expect(failing.map((r) => r.host)).toEqual([missing]);
  expect(failing[0].actual).toEqual({ go: 'proxy', curl: 'proxy', python: 'proxy' });
});

test("the signal-permission check can fail: a managed group's role may not signal", () => {
  const managed = allNodeGroups((x) => x.spec.management === 'managed' && x.d.example.key === 'node-families');
  expect(managed.length).toBeGreaterThan(0);
  expect(managed.map(roleMaySignal)).toEqual(managed.map(() => false));
  expect(allNodeGroups((x) => x.spec.management === 'self-managed').map(roleMaySignal)).toEqual([true, true, true]);
});

describe('broken self-managed AL2 parts fail the node-parts checks', () => {
  const g = allNodeGroups((x) => x.spec.family === 'AL2' && x.spec.management === 'self-managed')[0];
  const want = { stack: g.d.example.stackId, resource: g.owner.logicalId, region: g.d.region };
  let result: ReturnType<typeof runNodeParts>;
  let original: string;

  beforeAll(() => {
    const [bootstrap, signal] = groupParts(g)
      .filter((p) => baseType(p.contentType) === 'text/x-shellscript')
      .map((p) => p.payload);
    // The program as rendered for a test API server (the installed one would ask the example's cluster).
    const env = manifests(g.d).find((m) => m.kind === 'ConfigMap').data;
    const net = testSignalNetwork(g.d.region, env.HTTPS_PROXY);
    const c = clusterOf(g.d);
    original = renderReadySignalProgram(
      {
        stackName: want.stack,
        logicalId: want.resource,
        region: want.region,
        timeoutSeconds: 20,
        unreachableSeconds: 3,
        pollSeconds: 1,
      },
      {
        cluster: {
          ...c,
          dnsClusterIp: ipv4(c.serviceCidr, 10),
          endpoint: `https://${net.apiHost}`,
          certificateAuthority: Buffer.from(net.caPem).toString('base64'),
        },
        tokenCommand: AL2_KUBELET_TOKEN,
        after: [],
      },
    );
    const brokenProgram = original.replace(' --resource "$resource"', '');
    expect(brokenProgram).not.toBe(original);
    // bootstrap.sh: one flag given twice. Signal program: the cfn-signal call without --resource.
    // Unit: ExecStart pointing at a program that is not there.
    const brokenBootstrap = bootstrap.replace(
      /--dns-cluster-ip '([^']+)'/,
      `--dns-cluster-ip '$1' \\\n  --dns-cluster-ip '10.0.0.2'`,
    );
    const brokenSignal = signal.replace(`ExecStart=${SIGNAL_PROGRAM}`, `ExecStart=${SIGNAL_PROGRAM}-missing`);
    expect(brokenBootstrap).not.toBe(bootstrap);
    expect(brokenSignal).not.toBe(signal);
    result = runNodeParts(
      BOOTHOOK_PROFILES.AL2,
      [
        { name: 'boothook', script: groupBoothook(g)! },
        { name: 'bootstrap', script: brokenBootstrap },
        { name: 'signal', script: brokenSignal },
      ],
      [
        { name: 'broken', healthz: true, apiNotReadyGets: 0, proxy: true, program: { script: brokenProgram } },
        { name: 'original', healthz: true, apiNotReadyGets: 0, proxy: true, program: { script: original } },
      ],
      net.network,
    );
  });

  test('a bootstrap.sh flag given twice', () => {
    const c = clusterOf(g.d);
    const calls = result.parts.flatMap((p) => p.bootstrap);
    expect(calls).toHaveLength(1);
    expect(
      argvProblems(calls[0].argv, [c.name], {
        '--apiserver-endpoint': c.endpoint,
        '--b64-cluster-ca': c.certificateAuthority,
        '--dns-cluster-ip': ipv4(c.serviceCidr, 10),
      }),
    ).toEqual(['--dns-cluster-ip given 2 times, expected once']);
  });

  test('a cfn-signal call without --resource (the unbroken program passes the same check)', () => {
    expect(signalProblems(result.runs.broken.cfnSignal, 0, want)).toEqual([
      'cfn-signal: --resource given 0 times, expected once',
    ]);
    expect(signalProblems(result.runs.original.cfnSignal, 0, want)).toEqual([]);
  });

  test('a unit whose ExecStart program does not exist: systemd-analyze verify rejects it', () => {
    expect(result.verify!.rc).not.toBe(0);
    expect(result.verify!.err).toContain(`${SIGNAL_PROGRAM}-missing`);
  });
});

describe('a patch that drops existing env fails the patch check', () => {
  const original = fixture('aws-node');
  const apply = patches(main).find((p) => p.resourceName === 'daemonset/aws-node')!.applyPatchJson;

  test('our patch applied as a JSON merge patch (containers list replaced)', () => {
    const patched = kubectlPatch(original, apply, 'merge');
    const problems = applyPatchProblems(original, patched);
    expect(problems).toContainEqual(
      expect.stringMatching(/^aws-node: env changed \(\d+ -> 0 entries; lost .*AWS_VPC_K8S_CNI_LOGLEVEL/),
    );
  });

  test('a strategic patch that replaces env ($patch: replace)', () => {
    const p = JSON.parse(apply);
    p.spec.template.spec.containers[0].env = [
      { $patch: 'replace' },
      { name: 'HTTPS_PROXY', value: 'http://proxy.corp.example:3128' },
    ];
    const patched = kubectlPatch(original, JSON.stringify(p), 'strategic');
    expect(applyPatchProblems(original, patched)).toContainEqual(
      expect.stringMatching(/^aws-node: env changed \(\d+ -> 1 entries/),
    );
  });

  test('a patch without our envFrom for one container', () => {
    const p = JSON.parse(apply);
    p.spec.template.spec.containers = p.spec.template.spec.containers.slice(0, 1);
    const patched = kubectlPatch(original, JSON.stringify(p), 'strategic');
    expect(applyPatchProblems(original, patched)).toEqual([
      'aws-eks-nodeagent: envFrom has 0 configMapRef proxy-environment-variables, expected one',
    ]);
  });
});
