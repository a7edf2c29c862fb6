/** The DaemonSet patch renderer (lib/manifests/proxy-patch.ts). */
import {
  DEFAULT_TARGETS,
  PROXY_CONFIGMAP_NAME,
  PROXY_HASH_ANNOTATION,
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
