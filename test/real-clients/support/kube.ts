/**
 * Kubernetes objects with real clients: patches applied by kubectl itself (`kubectl patch --local`,
 * which computes strategic merges from the built-in apps/v1 types, offline), and objects validated
 * against the Kubernetes OpenAPI schema (kubernetes-models' generated validators).
 */
import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import * as YAML from 'yaml';
import { DAEMONSET_FIXTURES } from '../../support/fixtures';
import { PYTHON, removeDir, requireTools, run, tempDir } from './proc';
import { runCached } from './run-cache';

export const PROXY_CONFIGMAP = 'proxy-environment-variables';
export const HASH_ANNOTATION = 'cdk-private-eks.io/proxy-settings-hash';
export const REVISION_ANNOTATION = 'cdk-private-eks.io/proxy-patch-revision';
/** The Secret with the credentialed proxy URLs (authenticating proxy). */
export const CREDENTIALS_SECRET = 'proxy-environment-credentials';

/** A DaemonSet fixture (a real object from outside the project), parsed. */
export function fixture(name: string): any {
  const file = path.join(DAEMONSET_FIXTURES, `${name}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(`fixture ${file} is missing (see test/fixtures/README.md)`);
  }
  return YAML.parse(fs.readFileSync(file, 'utf8'));
}

/**
 * `kubectl patch --local -f FILE --type TYPE -p PATCH -o json`: the patch applied by kubectl's own
 * merge code, without a cluster (a kubeconfig pointing at a closed loopback port, in case). Once for the
 * same object, patch and type (support/run-cache.ts: the suites ask for the same ones again, 112 calls for
 * 60 distinct); every caller gets an object of its own, parsed from kubectl's output in the test's realm
 * (structuredClone's would fail isDeepStrictEqual on their prototypes).
 */
export function kubectlPatch(object: any, patch: string, type: 'strategic' | 'merge' | 'json' = 'strategic'): any {
  const input = JSON.stringify([type, patch, object]);
  return JSON.parse(runCached('kubectl-patch', input, () => runKubectlPatch(object, patch, type)));
}

function runKubectlPatch(object: any, patch: string, type: string): string {
  requireTools('kubectl');
  const dir = tempDir('kubectl');
  try {
    const file = path.join(dir, 'object.json');
    fs.writeFileSync(file, JSON.stringify(object));
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: none',
        'clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]',
        'contexts: [{name: none, context: {cluster: none, user: none}}]',
        'users: [{name: none, user: {}}]',
        '',
      ].join('\n'),
    );
    const r = run('kubectl', ['patch', '--local', '-f', file, '--type', type, '-p', patch, '-o', 'json'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig },
      timeout: 60_000,
    });
    if (r.status !== 0) {
      throw new Error(`kubectl patch failed (${r.status}): ${r.stderr}`);
    }
    return r.stdout;
  } finally {
    removeDir(dir);
  }
}

const DISCOVERY_STUB = path.join(__dirname, 'kubectl-discovery.py');

/**
 * `kubectl ARGS` against a stub API server on loopback that answers discovery only (secrets, roles,
 * rolebindings): for `kubectl create role --dry-run=client`, which looks the resource up first. Returns
 * kubectl's output, parsed when it is JSON, and the paths the stub was asked for.
 */
export function kubectlWithDiscovery(args: string[]): { rc: number; output: any; stderr: string; requests: string[] } {
  requireTools('kubectl', PYTHON);
  const r = run(PYTHON, [DISCOVERY_STUB, ...args], { timeout: 90_000 });
  if (r.status !== 0) {
    throw new Error(`kubectl-discovery.py failed (${r.status}): ${r.stderr}`);
  }
  const result = JSON.parse(r.stdout);
  let output: any = result.stdout;
  try {
    output = JSON.parse(result.stdout);
  } catch {
    // not JSON: an error message, kept as text
  }
  return { rc: result.rc, output, stderr: result.stderr, requests: result.requests };
}

/** Validation errors of an object against the Kubernetes OpenAPI schema of its kind (empty when valid). */
export function schemaErrors(object: any): string[] {
  try {
    if (object.kind === 'DaemonSet' && object.apiVersion === 'apps/v1') {
      new DaemonSet(object).validate();
    } else if (object.kind === 'Deployment' && object.apiVersion === 'apps/v1') {
      new Deployment(object).validate();
    } else if (object.kind === 'ConfigMap' && object.apiVersion === 'v1') {
      new ConfigMap(object).validate();
    } else if (object.kind === 'Role' && object.apiVersion === 'rbac.authorization.k8s.io/v1') {
      new Role(object).validate();
    } else if (object.kind === 'RoleBinding' && object.apiVersion === 'rbac.authorization.k8s.io/v1') {
      new RoleBinding(object).validate();
    } else {
      return [`no schema for ${object.apiVersion}/${object.kind}`];
    }
    return [];
  } catch (e: any) {
    return [String(e.message ?? e)];
  }
}

function containers(ds: any): any[] {
  return ds.spec?.template?.spec?.containers ?? [];
}

/** Drop what the proxy patch may change (envFrom, our annotations) and what is empty, for comparison. */
export function normalize(ds: any): any {
  const copy = JSON.parse(JSON.stringify(ds));
  for (const c of containers(copy)) {
    delete c.envFrom;
  }
  // Our annotations: the settings hash on the pod template, the patch revision on the object itself.
  for (const [metadata, annotation] of [
    [copy.spec?.template?.metadata, HASH_ANNOTATION],
    [copy.metadata, REVISION_ANNOTATION],
  ]) {
    const ann = metadata?.annotations;
    if (ann) {
      delete ann[annotation];
      if (Object.keys(ann).length === 0) {
        delete metadata.annotations;
      }
    }
  }
  return copy;
}

/** envFrom with `[]` and absent treated alike. */
function envFromOf(c: any): any[] {
  return c?.envFrom ?? [];
}

/**
 * What is wrong with a DaemonSet after the apply patch: every container must read the proxy
 * ConfigMap through envFrom (keeping the envFrom it had), keep its env list exactly, and nothing
 * else may change but our pod-template annotation. With `credentialsSecret` (an authenticating
 * proxy), each container must also read that Secret, after the ConfigMap: for a key in both, the
 * last envFrom source wins, so the credentialed URLs must come last.
 */
export function applyPatchProblems(original: any, patched: any, credentialsSecret?: string): string[] {
  const problems: string[] = [];
  const before = new Map(containers(original).map((c) => [c.name, c]));
  const after = new Map(containers(patched).map((c) => [c.name, c]));
  if (JSON.stringify([...before.keys()]) !== JSON.stringify([...after.keys()])) {
    problems.push(`containers changed: ${[...before.keys()].join(',')} -> ${[...after.keys()].join(',')}`);
  }
  for (const [name, c] of before) {
    const p = after.get(name);
    if (!p) {
      continue;
    }
    const refs = envFromOf(p).filter((e: any) => e.configMapRef?.name === PROXY_CONFIGMAP);
    if (refs.length !== 1) {
      problems.push(`${name}: envFrom has ${refs.length} configMapRef ${PROXY_CONFIGMAP}, expected one`);
    }
    const secretRefs = envFromOf(p).filter(
      (e: any) => credentialsSecret !== undefined && e.secretRef?.name === credentialsSecret,
    );
    if (credentialsSecret !== undefined) {
      const cmAt = envFromOf(p).findIndex((e: any) => e.configMapRef?.name === PROXY_CONFIGMAP);
      const secretAt = envFromOf(p).findIndex((e: any) => e.secretRef?.name === credentialsSecret);
      if (secretRefs.length !== 1) {
        problems.push(`${name}: envFrom has ${secretRefs.length} secretRef ${credentialsSecret}, expected one`);
      } else if (secretAt < cmAt) {
        problems.push(
          `${name}: envFrom reads the Secret ${credentialsSecret} before the ConfigMap, so the URLs without credentials win`,
        );
      }
    }
    const kept = envFromOf(p).filter((e: any) => e.configMapRef?.name !== PROXY_CONFIGMAP && !secretRefs.includes(e));
    if (!isDeepStrictEqual(kept, envFromOf(c))) {
      problems.push(`${name}: existing envFrom ${JSON.stringify(envFromOf(c))} became ${JSON.stringify(kept)}`);
    }
    if (!isDeepStrictEqual(p.env ?? [], c.env ?? [])) {
      const lost = (c.env ?? []).filter((e: any) => !(p.env ?? []).some((x: any) => isDeepStrictEqual(x, e)));
      problems.push(
        `${name}: env changed (${(c.env ?? []).length} -> ${(p.env ?? []).length} entries; lost ${lost.map((e: any) => e.name).join(', ') || 'none'})`,
      );
    }
  }
  const hash = patched.spec?.template?.metadata?.annotations?.[HASH_ANNOTATION];
  if (typeof hash !== 'string' || hash === '') {
    problems.push(`pod template has no ${HASH_ANNOTATION} annotation, so a settings change would not roll the pods`);
  }
  if (!isDeepStrictEqual(normalize(patched), normalize(original))) {
    problems.push('the patch changed more than envFrom and the hash annotation');
  }
  return problems;
}

/** What is wrong with a DaemonSet after apply then restore: it must equal the original. */
export function restorePatchProblems(original: any, restored: any): string[] {
  const problems: string[] = [];
  for (const c of containers(original)) {
    const r = containers(restored).find((x) => x.name === c.name);
    if (!isDeepStrictEqual(envFromOf(r), envFromOf(c))) {
      problems.push(
        `${c.name}: envFrom after restore is ${JSON.stringify(r?.envFrom)}, originally ${JSON.stringify(c.envFrom)}`,
      );
    }
  }
  if (restored.spec?.template?.metadata?.annotations?.[HASH_ANNOTATION] !== undefined) {
    problems.push(`${HASH_ANNOTATION} is still set after restore`);
  }
  if (!isDeepStrictEqual(normalize(restored), normalize(original))) {
    problems.push('the restored object differs from the original');
  }
  return problems;
}
