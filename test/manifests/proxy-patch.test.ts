/** The DaemonSet patch renderer (lib/manifests/proxy-patch.ts). */
import {
  DEFAULT_TARGETS,
  PROXY_CONFIGMAP_NAME,
  PROXY_HASH_ANNOTATION,
  PROXY_PATCH_REVISION_ANNOTATION,
  patchResourceName,
  renderApplyPatch,
  renderRestorePatch,
} from '../../lib/manifests/proxy-patch';

describe('DaemonSet patches', () => {
  test('every container of aws-node and kube-proxy gets the ConfigMap, and the pod template the hash', () => {
    const [awsNode, kubeProxy] = DEFAULT_TARGETS;
    const patch = renderApplyPatch(awsNode, 'abc');
    expect(patch.spec.template.spec.containers).toEqual([
      { name: 'aws-node', envFrom: [{ configMapRef: { name: PROXY_CONFIGMAP_NAME } }] },
      { name: 'aws-eks-nodeagent', envFrom: [{ configMapRef: { name: PROXY_CONFIGMAP_NAME } }] },
    ]);
    expect(patch.spec.template.metadata.annotations[PROXY_HASH_ANNOTATION]).toBe('abc');
    expect(renderApplyPatch(kubeProxy, 'abc').spec.template.spec.containers.map((c: any) => c.name)).toEqual([
      'kube-proxy',
    ]);
  });

  test('existing envFrom sources are kept in front of ours, and restored on removal', () => {
    const target = {
      name: 'x',
      namespace: 'kube-system',
      containers: ['c'],
      keepEnvFrom: [{ secretRef: { name: 's' } }],
    };
    expect(renderApplyPatch(target, 'h').spec.template.spec.containers[0].envFrom).toEqual([
      { secretRef: { name: 's' } },
      { configMapRef: { name: PROXY_CONFIGMAP_NAME } },
    ]);
    const restore = renderRestorePatch(target);
    expect(restore.spec.template.spec.containers[0].envFrom).toEqual([{ secretRef: { name: 's' } }]);
    expect(restore.spec.template.metadata.annotations[PROXY_HASH_ANNOTATION]).toBeNull();
  });
});

describe('the revision annotation', () => {
  const [awsNode] = DEFAULT_TARGETS;

  test('a revision goes on the object itself, not the pod template, and the restore patch removes it', () => {
    const plain = renderApplyPatch(awsNode, 'h');
    const revised = renderApplyPatch(awsNode, 'h', undefined, 'vpc-cni@v1.20.4-eksbuild.1');
    expect(revised.metadata).toEqual({
      annotations: { [PROXY_PATCH_REVISION_ANNOTATION]: 'vpc-cni@v1.20.4-eksbuild.1' },
    });
    expect(revised.spec).toEqual(plain.spec);
    expect(plain.metadata).toBeUndefined();
    expect(renderRestorePatch(awsNode, true).metadata).toEqual({
      annotations: { [PROXY_PATCH_REVISION_ANNOTATION]: null },
    });
    expect(renderRestorePatch(awsNode).metadata).toBeUndefined();
  });

  test('the resource name carries the kind', () => {
    expect(patchResourceName(awsNode)).toBe('daemonset/aws-node');
    expect(patchResourceName({ ...awsNode, kind: 'deployment', name: 'c' })).toBe('deployment/c');
  });
});
