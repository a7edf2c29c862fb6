/**
 * The DaemonSet patches of the main example, applied by the real kubectl (strategic merge, offline)
 * to the real aws-node and kube-proxy DaemonSets in test/fixtures.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { PROXY_CONFIGMAP_NAME, PROXY_HASH_ANNOTATION } from '../lib/manifests/proxy-patch';
import { exampleTemplate } from './support/examples';
import { DAEMONSET_FIXTURES } from './support/fixtures';


function kubectlPatch(fixture: string, patch: string): any {
  const out = execFileSync(
    'kubectl',
    ['patch', '--local', '-f', path.join(DAEMONSET_FIXTURES, fixture), '--type', 'strategic', '-p', patch, '-o', 'json'],
    { encoding: 'utf8' },
  );
  return JSON.parse(out);
}

function readFixture(fixture: string): any {
  return parse(fs.readFileSync(path.join(DAEMONSET_FIXTURES, fixture), 'utf8'));
}

const patches = Object.values(
  exampleTemplate('proxy-cluster').findResources('Custom::AWSCDK-EKS-KubernetesPatch'),
) as any[];

describe.each([
  ['aws-node', 'aws-node.yaml'],
  ['kube-proxy', 'kube-proxy.yaml'],
])('%s', (name, fixture) => {
  const patch = patches.find((p) => p.Properties.ResourceName === `daemonset/${name}`);
  const before = readFixture(fixture);

  test('the fixture exists and the example patches it', () => {
    expect(fs.existsSync(path.join(DAEMONSET_FIXTURES, fixture))).toBe(true);
    expect(patch).toBeDefined();
  });

  test('every container reads the proxy ConfigMap, and existing env survives', () => {
    const after = kubectlPatch(fixture, patch.Properties.ApplyPatchJson);
    const containers = after.spec.template.spec.containers;
    expect(containers.map((c: any) => c.name)).toEqual(before.spec.template.spec.containers.map((c: any) => c.name));
    containers.forEach((c: any, i: number) => {
      expect(c.envFrom).toEqual([
        ...(before.spec.template.spec.containers[i].envFrom ?? []),
        { configMapRef: { name: PROXY_CONFIGMAP_NAME } },
      ]);
      expect(c.env).toEqual(before.spec.template.spec.containers[i].env);
      expect(c.image).toBe(before.spec.template.spec.containers[i].image);
    });
    expect(after.spec.template.spec.initContainers).toEqual(before.spec.template.spec.initContainers);
    expect(after.spec.template.metadata.annotations[PROXY_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
  });

  test('the restore patch gives back the original containers and drops the annotation', () => {
    const applied = kubectlPatch(fixture, patch.Properties.ApplyPatchJson);
    const tmp = fs.mkdtempSync('/tmp/ds-');
    const file = path.join(tmp, fixture.replace('.yaml', '.json'));
    fs.writeFileSync(file, JSON.stringify(applied));
    const restored = JSON.parse(
      execFileSync(
        'kubectl',
        ['patch', '--local', '-f', file, '--type', 'strategic', '-p', patch.Properties.RestorePatchJson, '-o', 'json'],
        { encoding: 'utf8' },
      ),
    );
    fs.rmSync(tmp, { recursive: true });
    restored.spec.template.spec.containers.forEach((c: any, i: number) => {
      expect(c.envFrom ?? []).toEqual(before.spec.template.spec.containers[i].envFrom ?? []);
      expect(c.env).toEqual(before.spec.template.spec.containers[i].env);
    });
    expect(restored.spec.template.metadata.annotations?.[PROXY_HASH_ANNOTATION]).toBeUndefined();
  });
});
