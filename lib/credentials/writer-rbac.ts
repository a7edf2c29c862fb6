/**
 * The Kubernetes RBAC objects that let the proxy-credentials Secret writer do its job and nothing else:
 * a namespaced `Role` for the one Secret and a `RoleBinding` of that Role to a Kubernetes group of our
 * own, which the writer's EKS access entry names (`kubernetesGroups`). Pure: plain objects out.
 */

/** What the writer's handler (python/secret_writer.py) does on the API server, and so all it may do. */
export interface WriterRbacInput {
  /** The namespace of the Secret (and of the Role and RoleBinding). */
  readonly namespace: string;
  /** The name of the Secret. */
  readonly secretName: string;
  /** The Kubernetes group the writer's access entry puts its principal in. */
  readonly group: string;
}

/** The name of the Role and the RoleBinding. */
export const WRITER_RBAC_NAME = 'cdk-private-eks-proxy-credentials-writer';

/**
 * The Kubernetes group of the writer's access entry. EKS reserves the prefixes `system:`, `eks:`, `aws:`,
 * `amazon:` and `iam:` for its own user names (EKS user guide, "Set a custom username for EKS access
 * entries"); ours starts with none of them.
 */
export const WRITER_GROUP = 'cdk-private-eks:proxy-credentials-writer';

/**
 * The group of the writer for `namespace`: `WRITER_GROUP` for kube-system (as before), `WRITER_GROUP:<namespace>`
 * for any other, so that each writer's RoleBinding binds that writer only.
 */
export function writerGroup(namespace: string): string {
  return namespace === 'kube-system' ? WRITER_GROUP : `${WRITER_GROUP}:${namespace}`;
}

/**
 * The verbs of the handler, one per HTTP method it sends: `PUT .../secrets/NAME` is `update`, `DELETE
 * .../secrets/NAME` is `delete`, both on that one name; `POST .../secrets` (after a 404 of the PUT) is
 * `create`. No `get`, `list`, `watch` or `patch`: the handler never reads or patches.
 */
export const WRITER_NAMED_VERBS: readonly string[] = ['update', 'delete'];
export const WRITER_CREATE_VERBS: readonly string[] = ['create'];

/** The Role and the RoleBinding, in that order. */
export function writerRbacObjects(input: WriterRbacInput): Array<Record<string, unknown>> {
  // One object each: aws-eks-v2 adds its prune label to every object's labels.
  const metadata = () => ({
    name: WRITER_RBAC_NAME,
    namespace: input.namespace,
    labels: { 'app.kubernetes.io/managed-by': 'cdk-private-eks' },
  });
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: metadata(),
      rules: [
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: [input.secretName],
          verbs: [...WRITER_NAMED_VERBS],
        },
        // RBAC cannot restrict `create` by name: the name of a new object is not known at authorization time
        // (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources). So the writer
        // may create any Secret in this namespace, but change or delete only its own, and read none; the API
        // server refuses to create a Secret whose name is taken.
        {
          apiGroups: [''],
          resources: ['secrets'],
          verbs: [...WRITER_CREATE_VERBS],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: metadata(),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: WRITER_RBAC_NAME },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: input.group }],
    },
  ];
}
