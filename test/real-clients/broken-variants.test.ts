/**
 * Check 7: the checkers can fail. Each test breaks a generated artefact the way a regression would
 * and asserts that the same checker the real tests use reports it.
 */
import * as path from 'path';
import { boothooks } from './support/cloudinit';
import { cleanupSynth, deployments, networkOf, patches } from './support/examples';
import { generatedEtcEnvironment } from './support/generated';
import { applyPatchProblems, fixture, kubectlPatch } from './support/kube';
import { PYTHON, removeDir, requireCloudInit, requireRoot, requireTools, tempDir } from './support/proc';
import { probes, resolverMatrix } from './support/resolvers';
import { firstRunProblems, runBoothookInSandbox, secondRunProblems } from './support/sandbox';

const GO_DIR = path.join(__dirname, 'go');
const main = deployments((e) => e.key === 'proxy-cluster').find((d) => d.region === 'us-east-1')!;
let goCache: string;

beforeAll(() => {
  requireRoot();
  requireTools('unshare', 'ip', 'mount', 'go', 'curl', 'kubectl', PYTHON);
  requireCloudInit();
  goCache = tempDir('gocache');
});
afterAll(() => {
  removeDir(goCache);
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
  expect(firstRunProblems(result, {}, '')).toContain('run 1: IMDS GET /latest/meta-data/instance-id without a valid IMDSv2 token');
});

test('a NO_PROXY missing one endpoint host fails the resolver check, for all three clients', () => {
  const env = generatedEtcEnvironment(main);
  const missing = `sts.${main.region}.${main.urlSuffix}`;
  const drop = (v: string) => v.split(',').filter((e) => e !== missing).join(',');
  expect(drop(env.NO_PROXY)).not.toBe(env.NO_PROXY);
  const broken = { ...env, NO_PROXY: drop(env.NO_PROXY), no_proxy: drop(env.no_proxy) };
  const rows = resolverMatrix(broken, probes(main, networkOf(main)), GO_DIR, goCache);
  const failing = rows.filter((r) => r.mismatches.length > 0);
  expect(failing.map((r) => r.host)).toEqual([missing]);
  expect(failing[0].mismatches).toEqual(['go', 'curl', 'python']);
  expect(failing[0].actual).toEqual({ go: 'proxy', curl: 'proxy', python: 'proxy' });
});

describe('a patch that drops existing env fails the patch check', () => {
  const original = fixture('aws-node');
  const apply = patches(main).find((p) => p.resourceName === 'daemonset/aws-node')!.applyPatchJson;

  test('our patch applied as a JSON merge patch (containers list replaced)', () => {
    const patched = kubectlPatch(original, apply, 'merge');
    const problems = applyPatchProblems(original, patched);
    expect(problems).toContainEqual(expect.stringMatching(/^aws-node: env changed \(\d+ -> 0 entries; lost .*AWS_VPC_K8S_CNI_LOGLEVEL/));
  });

  test('a strategic patch that replaces env ($patch: replace)', () => {
    const p = JSON.parse(apply);
    p.spec.template.spec.containers[0].env = [{ $patch: 'replace' }, { name: 'HTTPS_PROXY', value: 'http://proxy.corp.example:3128' }];
    const patched = kubectlPatch(original, JSON.stringify(p), 'strategic');
    expect(applyPatchProblems(original, patched)).toContainEqual(expect.stringMatching(/^aws-node: env changed \(\d+ -> 1 entries/));
  });

  test('a patch without our envFrom for one container', () => {
    const p = JSON.parse(apply);
    p.spec.template.spec.containers = p.spec.template.spec.containers.slice(0, 1);
    const patched = kubectlPatch(original, JSON.stringify(p), 'strategic');
    expect(applyPatchProblems(original, patched)).toEqual(['aws-eks-nodeagent: envFrom has 0 configMapRef proxy-environment-variables, expected one']);
  });
});
