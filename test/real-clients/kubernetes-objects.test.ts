/**
 * Check 6: the Kubernetes objects in the template. The KubernetesPatch custom resources' patches
 * are applied by kubectl itself (`kubectl patch --local --type strategic`) to the real aws-node
 * and kube-proxy DaemonSets (test/fixtures); the ConfigMap comes from the KubernetesResource
 * manifest. Results are validated against the Kubernetes OpenAPI schema (kubernetes-models).
 * With an authenticating proxy (authenticated-proxy), every container also reads the credentials
 * Secret, after the ConfigMap; the Secret is written at deploy time by a custom resource whose function
 * is configured with the secret's ARN and the URLs without credentials (its handler is tested in
 * test/credentials/secret-writer.test.ts), allowed by a Role that kubectl itself renders the same.
 */
import { cleanupSynth, credentialsOf, deployments, manifests, patches, resourcesOfTypeIn } from './support/examples';
import {
  applyPatchProblems,
  CREDENTIALS_SECRET,
  fixture,
  kubectlPatch,
  kubectlWithDiscovery,
  PROXY_CONFIGMAP,
  restorePatchProblems,
  schemaErrors,
} from './support/kube';
import { isCaBundleProblem, parseCaBundle } from '../../lib/private/ca-bundle';
import {
  CA_BUNDLE_KEY,
  CA_CERT_DIR,
  CA_CONFIGMAP_NAME,
  CA_MOUNT_PATH,
  CA_VOLUME_NAME,
  DEFAULT_TARGETS,
  PROXY_PATCH_REVISION_ANNOTATION,
  renderApplyPatch,
  renderRestorePatch,
} from '../../lib/manifests/proxy-patch';
import { requireTools } from './support/proc';
import { AddonProfile } from '../../lib';
import { PROXY_VARIABLES } from './support/sandbox';

beforeAll(() => requireTools('kubectl'));
afterAll(() => cleanupSynth());

const DAEMONSETS = ['aws-node', 'kube-proxy'];

/**
 * A patched DaemonSet without what the CA bundle patch adds (SSL_CERT_DIR, the mount, the volume), after
 * checking that each is there exactly as rendered: the rest is then compared as without a bundle.
 */
function withoutCaAdditions(patched: any): any {
  const copy = JSON.parse(JSON.stringify(patched));
  const spec = copy.spec.template.spec;
  const volume = { name: CA_VOLUME_NAME, configMap: { name: CA_CONFIGMAP_NAME } };
  expect(spec.volumes).toContainEqual(volume);
  spec.volumes = spec.volumes.filter((v: any) => v.name !== CA_VOLUME_NAME);
  if (spec.volumes.length === 0) {
    delete spec.volumes;
  }
  for (const c of spec.containers) {
    expect(c.env).toContainEqual({ name: 'SSL_CERT_DIR', value: CA_CERT_DIR });
    expect(c.volumeMounts).toContainEqual({ name: CA_VOLUME_NAME, mountPath: CA_MOUNT_PATH, readOnly: true });
    c.env = c.env.filter((e: any) => e.name !== 'SSL_CERT_DIR');
    c.volumeMounts = c.volumeMounts.filter((m: any) => m.mountPath !== CA_MOUNT_PATH);
    for (const key of ['env', 'volumeMounts']) {
      if (c[key].length === 0) {
        delete c[key];
      }
    }
  }
  return copy;
}

describe.each(deployments((e) => e.hasProxy).map((d) => [d.label, d] as const))('%s', (_label, d) => {
  const all = patches(d);
  const credentials = credentialsOf(d);
  const secret = credentials ? CREDENTIALS_SECRET : undefined;
  const caConfigMaps = manifests(d).filter((o) => o.kind === 'ConfigMap' && o.metadata.name === CA_CONFIGMAP_NAME);
  const hasCa = caConfigMaps.length > 0;

  // EKS Auto Mode runs neither aws-node nor kube-proxy as a DaemonSet: nothing to patch.
  const daemonSets = d.example.autoMode ? [] : DAEMONSETS;

  test('one strategic patch per DaemonSet, in kube-system', () => {
    expect(all.map((p) => p.resourceName).sort()).toEqual(daemonSets.map((n) => `daemonset/${n}`));
    for (const p of all) {
      expect(p.namespace).toBe('kube-system');
      expect(p.patchType).toBe('strategic');
    }
  });

  // describe.each refuses an empty table: an Auto Mode example has no DaemonSet to describe.
  const describeEachDaemonSet = daemonSets.length > 0 ? describe.each(daemonSets) : () => () => undefined;
  describeEachDaemonSet('%s', (name: string) => {
    const original = fixture(name);
    const p = all.find((x) => x.resourceName === `daemonset/${name}`)!;

    test('kubectl applies the patch: every container reads the ConfigMap, env survives, schema-valid', () => {
      expect(p.applyPatchJson).toBeDefined();
      const applied = kubectlPatch(original, p.applyPatchJson, 'strategic');
      expect(schemaErrors(applied)).toEqual([]);
      const patched = hasCa ? withoutCaAdditions(applied) : applied;
      expect(applyPatchProblems(original, patched, secret)).toEqual([]);
      for (const c of patched.spec.template.spec.containers) {
        expect(c.envFrom).toEqual([
          { configMapRef: { name: PROXY_CONFIGMAP } },
          ...(secret ? [{ secretRef: { name: secret } }] : []),
        ]);
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

  if (credentials) {
    test("the credentials Secret is written by a custom resource whose function is configured with the secret's ARN and the URLs without credentials", () => {
      const writers = resourcesOfTypeIn(d, 'Custom::CdkPrivateEksProxyCredentials');
      expect(writers).toHaveLength(1);
      const cm = manifests(d).find((o) => o.kind === 'ConfigMap');
      // The properties are a copy of the function's configuration (it reads its own, never the event's).
      expect(writers[0].Configuration).toMatchObject({
        CDK_PRIVATE_EKS_PROXY_SECRET_ARN: credentials.secretArn,
        CDK_PRIVATE_EKS_PROXY_USERNAME_KEY: credentials.spec.usernameKey,
        CDK_PRIVATE_EKS_PROXY_PASSWORD_KEY: credentials.spec.passwordKey,
        CDK_PRIVATE_EKS_SECRET_HTTP_PROXY: cm.data.HTTP_PROXY,
        CDK_PRIVATE_EKS_SECRET_HTTPS_PROXY: cm.data.HTTPS_PROXY,
        CDK_PRIVATE_EKS_SECRET_NAMESPACE: 'kube-system',
        CDK_PRIVATE_EKS_SECRET_NAME: CREDENTIALS_SECRET,
      });
      expect(cm.data.HTTPS_PROXY).not.toContain('@');
    });

    describe("the writer's Role and RoleBinding", () => {
      const objects = manifests(d).filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding');
      const role = objects.find((o) => o.kind === 'Role');
      const binding = objects.find((o) => o.kind === 'RoleBinding');

      test('one of each, in kube-system, schema-valid', () => {
        expect(objects.map((o) => o.kind).sort()).toEqual(['Role', 'RoleBinding']);
        for (const o of objects) {
          expect(o.metadata.namespace).toBe('kube-system');
          expect(schemaErrors(o)).toEqual([]);
        }
      });

      test('each rule is what kubectl create role makes of the verbs and the resource name (checked against discovery)', () => {
        expect(role.rules).toHaveLength(2);
        for (const rule of role.rules) {
          const args = ['create', 'role', role.metadata.name, '-n', role.metadata.namespace];
          args.push(`--verb=${rule.verbs.join(',')}`, `--resource=${rule.resources.join(',')}`);
          for (const name of rule.resourceNames ?? []) {
            args.push(`--resource-name=${name}`);
          }
          const r = kubectlWithDiscovery([...args, '--dry-run=client', '-o', 'json']);
          expect({ rc: r.rc, stderr: r.stderr }).toEqual({ rc: 0, stderr: '' });
          expect(r.requests).toContain('GET /api/v1');
          expect(r.output.rules).toEqual([rule]);
        }
        // Only the Secret's own name may be updated or deleted; create cannot be limited by name (RBAC).
        expect(role.rules.map((r: any) => [r.verbs, r.resourceNames])).toEqual([
          [['update', 'delete'], [CREDENTIALS_SECRET]],
          [['create'], undefined],
        ]);
      });

      test('kubectl warns on a verb it does not know and refuses a resource discovery lacks, so the check can fail', () => {
        const create = (verb: string, resource: string) =>
          kubectlWithDiscovery([
            'create',
            'role',
            'x',
            `--verb=${verb}`,
            `--resource=${resource}`,
            '--dry-run=client',
            '-o',
            'json',
          ]);
        expect(create('updat', 'secrets').stderr).toMatch(/'updat' is not a standard resource verb/);
        const unknown = create('update', 'secretz');
        expect(unknown.rc).not.toBe(0);
        expect(unknown.stderr).toMatch(/doesn't have a resource type "secretz"/);
      });

      test("the RoleBinding is kubectl's for that Role and the group of the writer's access entry", () => {
        const entries = resourcesOfTypeIn(d, 'AWS::EKS::AccessEntry').filter((e) => e.KubernetesGroups);
        expect(entries).toHaveLength(1);
        expect(entries[0].AccessPolicies).toBeUndefined();
        const [group] = entries[0].KubernetesGroups;
        const r = kubectlWithDiscovery([
          'create',
          'rolebinding',
          binding.metadata.name,
          '-n',
          binding.metadata.namespace,
          `--role=${role.metadata.name}`,
          `--group=${group}`,
          '--dry-run=client',
          '-o',
          'json',
        ]);
        expect(r.rc).toBe(0);
        expect({ roleRef: binding.roleRef, subjects: binding.subjects }).toEqual({
          roleRef: r.output.roleRef,
          subjects: r.output.subjects,
        });
      });
    });
  }

  test('the ConfigMap: kube-system, both cases of the three variables, schema-valid; other namespaces get the same', () => {
    const objects = manifests(d);
    const cms = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name !== CA_CONFIGMAP_NAME);
    const cm = cms.find((o) => o.metadata.namespace === 'kube-system');
    expect(cm).toBeDefined();
    expect(cm.apiVersion).toBe('v1');
    expect(cm.metadata.name).toBe(PROXY_CONFIGMAP);
    expect(Object.keys(cm).sort()).toEqual(['apiVersion', 'data', 'kind', 'metadata']);
    expect(Object.keys(cm.data).sort()).toEqual([...PROXY_VARIABLES].sort());
    expect(cm.data.HTTP_PROXY).toBe(cm.data.http_proxy);
    expect(cm.data.HTTPS_PROXY).toBe(cm.data.https_proxy);
    expect(cm.data.NO_PROXY).toBe(cm.data.no_proxy);
    for (const v of Object.values(cm.data)) {
      expect(typeof v).toBe('string');
      expect(v).not.toBe('');
    }
    // addProxyEnvironment: the same ConfigMap, one per namespace, with kube-system's values.
    expect(new Set(cms.map((o) => o.metadata.namespace)).size).toBe(cms.length);
    for (const other of cms) {
      expect(other.metadata.name).toBe(PROXY_CONFIGMAP);
      expect(other.data).toEqual(cm.data);
      expect(schemaErrors(other)).toEqual([]);
    }
  });

  if (hasCa) {
    test('the CA bundle ConfigMap: in kube-system, one PEM bundle that parses, schema-valid', () => {
      expect(caConfigMaps.map((o) => o.metadata.namespace)).toEqual(['kube-system']);
      const [cm] = caConfigMaps;
      expect(Object.keys(cm.data)).toEqual([CA_BUNDLE_KEY]);
      const parsed = parseCaBundle(cm.data[CA_BUNDLE_KEY]);
      expect(!isCaBundleProblem(parsed) && parsed.pem).toBe(cm.data[CA_BUNDLE_KEY]);
      expect(schemaErrors(cm)).toEqual([]);
    });
  }

  test('every Deployment of the manifests reads the ConfigMap of its own namespace, schema-valid', () => {
    const objects = manifests(d);
    const namespaces = new Set(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.namespace));
    for (const deployment of objects.filter((o) => o.kind === 'Deployment')) {
      expect(namespaces.has(deployment.metadata.namespace)).toBe(true);
      for (const c of deployment.spec.template.spec.containers) {
        expect(c.envFrom).toContainEqual({ configMapRef: { name: PROXY_CONFIGMAP } });
      }
      expect(schemaErrors(deployment)).toEqual([]);
    }
  });
});

describe('the revision annotation of a patch tied to an add-on (kubectl patch --local on aws-node)', () => {
  const [awsNode] = DEFAULT_TARGETS;
  const original = fixture('aws-node');
  const plain = kubectlPatch(original, JSON.stringify(renderApplyPatch(awsNode, 'h')), 'strategic');
  const revised = kubectlPatch(
    original,
    JSON.stringify(renderApplyPatch(awsNode, 'h', undefined, 'vpc-cni@v1.20.4-eksbuild.1')),
    'strategic',
  );

  test('is set on the DaemonSet, leaves the pod template as the plain patch does, schema-valid', () => {
    expect(revised.metadata.annotations[PROXY_PATCH_REVISION_ANNOTATION]).toBe('vpc-cni@v1.20.4-eksbuild.1');
    expect(revised.spec).toEqual(plain.spec);
    expect(schemaErrors(revised)).toEqual([]);
  });

  test('is removed by the restore patch, which gives back the original', () => {
    const restored = kubectlPatch(revised, JSON.stringify(renderRestorePatch(awsNode, true)), 'strategic');
    expect(restored.metadata.annotations?.[PROXY_PATCH_REVISION_ANNOTATION]).toBeUndefined();
    expect(restorePatchProblems(original, restored)).toEqual([]);
  });
});

describe('the CA bundle patch (kubectl patch --local on aws-node and kube-proxy)', () => {
  describe.each(DEFAULT_TARGETS.map((t) => [t.name, t] as const))('%s', (name, target) => {
    const original = fixture(name);
    const patched = kubectlPatch(original, JSON.stringify(renderApplyPatch(target, 'h', undefined, undefined, true)));

    test('every container mounts the CA ConfigMap read-only and gets SSL_CERT_DIR; env survives; schema-valid', () => {
      const volumes = patched.spec.template.spec.volumes;
      expect(volumes).toEqual(expect.arrayContaining(original.spec.template.spec.volumes ?? []));
      expect(volumes).toContainEqual({
        name: CA_VOLUME_NAME,
        configMap: { name: CA_CONFIGMAP_NAME },
      });
      for (const c of patched.spec.template.spec.containers) {
        expect(c.volumeMounts).toContainEqual({ name: CA_VOLUME_NAME, mountPath: CA_MOUNT_PATH, readOnly: true });
        expect(c.env).toContainEqual({ name: 'SSL_CERT_DIR', value: CA_CERT_DIR });
        const before = original.spec.template.spec.containers.find((o: any) => o.name === c.name);
        // Nothing of the container's own is lost: strategic merge added our items beside its env and mounts.
        expect(c.env).toEqual(expect.arrayContaining(before.env ?? []));
        expect(c.volumeMounts).toEqual(expect.arrayContaining(before.volumeMounts ?? []));
        expect(c.env.length).toBe((before.env ?? []).length + 1);
        expect(c.volumeMounts.length).toBe((before.volumeMounts ?? []).length + 1);
      }
      expect(schemaErrors(patched)).toEqual([]);
    });

    test('the restore patch gives back the original', () => {
      const restored = kubectlPatch(patched, JSON.stringify(renderRestorePatch(target, false, true)));
      expect(restorePatchProblems(original, restored)).toEqual([]);
    });
  });
});

test('the schema check can fail', () => {
  expect(schemaErrors({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { A: 1 } })).not.toEqual(
    [],
  );
  const ds = fixture('kube-proxy');
  ds.spec.template.spec.containers[0].envFrom = [{ configMapRef: { name: 42 } }];
  expect(schemaErrors(ds)).not.toEqual([]);
});

describe("the Pod Identity agent's patch (kubectl patch --local on the add-on's upstream DaemonSet)", () => {
  // Patched when eks-auth goes through the proxy (lib/addons/catalogue.ts POD_IDENTITY_AGENT).
  const [agent] = AddonProfile.POD_IDENTITY_AGENT._workloads;
  const original = fixture('eks-pod-identity-agent');
  const patched = kubectlPatch(original, JSON.stringify(renderApplyPatch(agent, 'h')), 'strategic');

  test('the catalogue names the DaemonSet and the container the upstream chart renders', () => {
    expect(original.metadata.name).toBe(agent.name);
    expect(original.spec.template.spec.containers.map((c: any) => c.name)).toEqual(agent.containers);
  });

  test('every container reads the ConfigMap, its own env survives, schema-valid', () => {
    expect(schemaErrors(patched)).toEqual([]);
    expect(applyPatchProblems(original, patched, undefined)).toEqual([]);
    for (const c of patched.spec.template.spec.containers) {
      expect(c.envFrom).toEqual([{ configMapRef: { name: PROXY_CONFIGMAP } }]);
      expect(c.env).toEqual(original.spec.template.spec.containers.find((o: any) => o.name === c.name).env);
    }
  });

  test('the restore patch gives back the original', () => {
    const restored = kubectlPatch(patched, JSON.stringify(renderRestorePatch(agent, false)), 'strategic');
    expect(restorePatchProblems(original, restored)).toEqual([]);
  });
});
