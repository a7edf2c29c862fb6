/**
 * Check 6: the Kubernetes objects in the template. The KubernetesPatch custom resources' patches
 * are applied by kubectl itself (`kubectl patch --local --type strategic`) to the real aws-node
 * and kube-proxy DaemonSets (shared/fixtures); the ConfigMap comes from the KubernetesResource
 * manifest. Results are validated against the Kubernetes OpenAPI schema (kubernetes-models).
 */
import { cleanupSynth, deployments, manifests, patches } from './support/examples';
import { applyPatchProblems, fixture, kubectlPatch, PROXY_CONFIGMAP, restorePatchProblems, schemaErrors } from './support/kube';
import { requireTools } from './support/proc';
import { PROXY_VARIABLES } from './support/sandbox';

beforeAll(() => requireTools('kubectl'));
afterAll(() => cleanupSynth());

const DAEMONSETS = ['aws-node', 'kube-proxy'];

describe.each(deployments((e) => e.hasProxy).map((d) => [d.label, d] as const))('%s', (_label, d) => {
  const all = patches(d);

  test('one strategic patch per DaemonSet, in kube-system', () => {
    expect(all.map((p) => p.resourceName).sort()).toEqual(DAEMONSETS.map((n) => `daemonset/${n}`));
    for (const p of all) {
      expect(p.namespace).toBe('kube-system');
      expect(p.patchType).toBe('strategic');
    }
  });

  describe.each(DAEMONSETS)('%s', (name) => {
    const original = fixture(name);
    const p = all.find((x) => x.resourceName === `daemonset/${name}`)!;

    test('kubectl applies the patch: every container reads the ConfigMap, env survives, schema-valid', () => {
      expect(p.applyPatchJson).toBeDefined();
      const patched = kubectlPatch(original, p.applyPatchJson, 'strategic');
      expect(applyPatchProblems(original, patched)).toEqual([]);
      for (const c of patched.spec.template.spec.containers) {
        expect(c.envFrom).toContainEqual({ configMapRef: { name: PROXY_CONFIGMAP } });
        expect(c.env).toEqual(original.spec.template.spec.containers.find((o: any) => o.name === c.name).env);
      }
      expect(schemaErrors(patched)).toEqual([]);
    });

    test('the restore patch gives back the original envFrom (and object)', () => {
      const patched = kubectlPatch(original, p.applyPatchJson, 'strategic');
      const restored = kubectlPatch(patched, p.restorePatchJson, 'strategic');
      expect(restorePatchProblems(original, restored)).toEqual([]);
      expect(schemaErrors(restored)).toEqual([]);
    });

    test('applying the patch twice is the same as once', () => {
      const once = kubectlPatch(original, p.applyPatchJson, 'strategic');
      expect(kubectlPatch(once, p.applyPatchJson, 'strategic')).toEqual(once);
    });
  });

  test('the ConfigMap: kube-system, both cases of the three variables, schema-valid', () => {
    const objects = manifests(d);
    const cms = objects.filter((o) => o.kind === 'ConfigMap');
    expect(cms).toHaveLength(1);
    const cm = cms[0];
    expect(cm.apiVersion).toBe('v1');
    expect(cm.metadata.name).toBe(PROXY_CONFIGMAP);
    expect(cm.metadata.namespace).toBe('kube-system');
    expect(Object.keys(cm).sort()).toEqual(['apiVersion', 'data', 'kind', 'metadata']);
    expect(Object.keys(cm.data).sort()).toEqual([...PROXY_VARIABLES].sort());
    expect(cm.data.HTTP_PROXY).toBe(cm.data.http_proxy);
    expect(cm.data.HTTPS_PROXY).toBe(cm.data.https_proxy);
    expect(cm.data.NO_PROXY).toBe(cm.data.no_proxy);
    for (const v of Object.values(cm.data)) {
      expect(typeof v).toBe('string');
      expect(v).not.toBe('');
    }
    expect(schemaErrors(cm)).toEqual([]);
  });
});

test('the schema check can fail', () => {
  expect(schemaErrors({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { A: 1 } })).not.toEqual([]);
  const ds = fixture('kube-proxy');
  ds.spec.template.spec.containers[0].envFrom = [{ configMapRef: { name: 42 } }];
  expect(schemaErrors(ds)).not.toEqual([]);
});
