/**
 * Least privilege for the proxy-credentials Secret writer: its access entry has no EKS access policy,
 * only our Kubernetes group, and the namespaced Role bound to that group allows exactly what the handler
 * sends (PUT and DELETE on the one Secret, POST to create it). The objects themselves are checked by
 * kubectl and the Kubernetes schema in test/real-clients/kubernetes-objects.test.ts.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { WRITER_GROUP, WRITER_RBAC_NAME, writerRbacObjects } from '../../lib/credentials/writer-rbac';
import { credentialedCluster } from '../support/credentials';

test('the Role: update and delete on that one Secret, create on secrets (RBAC cannot name it), nothing else', () => {
  const [role, binding] = writerRbacObjects({ namespace: 'kube-system', secretName: 'the-secret', group: 'g' });
  expect(role).toEqual({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: {
      name: WRITER_RBAC_NAME,
      namespace: 'kube-system',
      labels: { 'app.kubernetes.io/managed-by': 'cdk-private-eks' },
    },
    rules: [
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['the-secret'], verbs: ['update', 'delete'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    ],
  });
  expect(binding).toMatchObject({
    kind: 'RoleBinding',
    metadata: { name: WRITER_RBAC_NAME, namespace: 'kube-system' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: WRITER_RBAC_NAME },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'g' }],
  });
});

test('the group is none of the prefixes EKS reserves', () => {
  expect(WRITER_GROUP).not.toMatch(/^(system|eks|aws|amazon|iam):/);
});

describe('in a cluster with an authenticating proxy', () => {
  const { stack } = credentialedCluster();
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, any>;
  const [writerId] = Object.keys(resources).filter(
    (id) => resources[id].Type === 'Custom::CdkPrivateEksProxyCredentials',
  );
  const writer = resources[writerId];
  const roleId = (id: string) => resources[id].Properties.PrincipalArn['Fn::GetAtt']?.[0];
  const entries = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::EKS::AccessEntry');
  const [entryId] = entries.filter((id) => /ProxyCredentialsRole/.test(roleId(id) ?? ''));

  test("the writer's access entry: no access policy, only our Kubernetes group; EKS makes it STANDARD", () => {
    expect(entryId).toMatch(/^ClusterProxyCredentialsWriter[0-9A-F]{8}$/);
    const p = resources[entryId].Properties;
    expect(Object.keys(p).sort()).toEqual(['ClusterName', 'KubernetesGroups', 'PrincipalArn']);
    expect(p.KubernetesGroups).toEqual([WRITER_GROUP]);
    expect(JSON.stringify(resources)).not.toContain('AmazonEKSEditPolicy');
  });

  test('the Role and RoleBinding are applied by the kubectl provider, in the namespace of the Secret', () => {
    const manifests = Object.entries(resources)
      .filter(([, r]) => r.Type === 'Custom::AWSCDK-EKS-KubernetesResource')
      .map(([id, r]) => [id, JSON.parse(stack.resolve(r.Properties.Manifest))] as const)
      .filter(([, objects]) => objects.some((o: any) => o.kind === 'Role'));
    expect(manifests).toHaveLength(1);
    const [rbacId, objects] = manifests[0];
    // aws-eks-v2 labels every object for pruning; the rest is ours, unchanged.
    for (const o of objects) {
      const prune = Object.keys(o.metadata.labels).filter((l) => l.startsWith('aws.cdk.eks/prune-'));
      expect(prune).toHaveLength(1);
      delete o.metadata.labels[prune[0]];
    }
    expect(objects).toEqual(
      writerRbacObjects({ namespace: 'kube-system', secretName: 'proxy-environment-credentials', group: WRITER_GROUP }),
    );
    // The custom resource waits for both: the first call would be refused without them; a delete runs
    // while they still exist.
    expect(writer.DependsOn).toEqual(expect.arrayContaining([entryId, rbacId]));
  });
});
