/**
 * Pure renderers of the Kubernetes objects that carry the proxy to EKS Auto Mode nodes: a `NodeClass`
 * (`eks.amazonaws.com/v1`) and `NodePool`s (`karpenter.sh/v1`) on it. Objects in, objects out; values may
 * hold CDK token markers (subnet ids, the role name), which the cluster's kubectl provider receives as data
 * in the manifest's JSON.
 *
 * NodeClass fields and limits: EKS user guide, "Create a Node Class for Amazon EKS"
 * (awsdocs/amazon-eks-user-guide `latest/ug/automode/create-node-class.adoc`, 0026c9d): `role` (the node IAM
 * role's name), `subnetSelectorTerms` and `securityGroupSelectorTerms` (`id`, `tags` or `name`),
 * `advancedNetworking.httpsProxy` (one URL, at most 255 characters; there is no HTTP proxy field) and
 * `advancedNetworking.noProxy` (at most 50 entries of at most 255 characters), `certificateBundles`
 * (`name`, `data`: the base64 of the PEM). Do not name a custom NodeClass `default`.
 *
 * NodePools: the two built-in pools' shape (EKS user guide, "Enable or Disable Built-in NodePools",
 * `set-builtin-node-pools.adoc`): on-demand only, C, M and R instances of generation 5 or newer; `system`
 * tainted `CriticalAddonsOnly` on amd64 and arm64, `general-purpose` on amd64. Ours differ only in their
 * NodeClass, which carries the proxy.
 */

/** The API version of the NodeClass. */
export const NODE_CLASS_API_VERSION = 'eks.amazonaws.com/v1';

/** The API version of the NodePool. */
export const NODE_POOL_API_VERSION = 'karpenter.sh/v1';

/** The name of our NodeClass. */
export const NODE_CLASS_NAME = 'cdk-private-eks';

/** The name of our CA bundle in `certificateBundles`. */
export const NODE_CLASS_CA_BUNDLE_NAME = 'cdk-private-eks-proxy-ca';

/** What the NodeClass is made of. */
export interface NodeClassInput {
  /** The node IAM role's name. */
  readonly roleName: string;
  /** The node subnets. */
  readonly subnetIds: string[];
  /** The security groups of the nodes (the cluster security group). */
  readonly securityGroupIds: string[];
  /** The HTTPS proxy URL, if any. */
  readonly httpsProxy?: string;
  /** NO_PROXY, already within the NodeClass limits. */
  readonly noProxy?: string[];
  /** The TLS-inspecting proxy's CA bundle (canonical PEM), if any. */
  readonly caBundle?: string;
}

/** A NodeClass selector term (by id here). */
export interface SelectorTerm {
  readonly id: string;
}

/** The NodeClass spec this library writes. */
export interface NodeClassSpec {
  readonly role: string;
  readonly subnetSelectorTerms: SelectorTerm[];
  readonly securityGroupSelectorTerms: SelectorTerm[];
  advancedNetworking?: { readonly httpsProxy: string; readonly noProxy: string[] };
  certificateBundles?: Array<{ readonly name: string; readonly data: string }>;
}

/** A Kubernetes object: apiVersion, kind, metadata.name and a spec. */
export interface KubernetesObject<Spec> {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec: Spec;
}

/** A NodePool requirement. */
export interface NodePoolRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values: string[];
}

/** The NodePool spec this library writes. */
export interface NodePoolSpec {
  readonly template: {
    readonly spec: {
      readonly nodeClassRef: { readonly group: string; readonly kind: string; readonly name: string };
      readonly requirements: NodePoolRequirement[];
      readonly taints?: Array<{ readonly key: string; readonly effect: string }>;
    };
  };
  readonly disruption: { readonly consolidationPolicy: string; readonly consolidateAfter: string };
}

/** The NodeClass object. */
export function renderNodeClass(input: NodeClassInput): KubernetesObject<NodeClassSpec> {
  const spec: NodeClassSpec = {
    role: input.roleName,
    subnetSelectorTerms: input.subnetIds.map((id) => ({ id })),
    securityGroupSelectorTerms: input.securityGroupIds.map((id) => ({ id })),
  };
  if (input.httpsProxy !== undefined) {
    spec.advancedNetworking = { httpsProxy: input.httpsProxy, noProxy: input.noProxy ?? [] };
  }
  if (input.caBundle !== undefined) {
    spec.certificateBundles = [
      { name: NODE_CLASS_CA_BUNDLE_NAME, data: Buffer.from(input.caBundle, 'utf8').toString('base64') },
    ];
  }
  return { apiVersion: NODE_CLASS_API_VERSION, kind: 'NodeClass', metadata: { name: NODE_CLASS_NAME }, spec };
}

/** The two NodePools on our NodeClass, shaped like the built-in `system` and `general-purpose` pools. */
export function renderNodePools(nodeClassName: string): Array<KubernetesObject<NodePoolSpec>> {
  const requirements = (arch: string[]) => [
    { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
    { key: 'eks.amazonaws.com/instance-category', operator: 'In', values: ['c', 'm', 'r'] },
    { key: 'eks.amazonaws.com/instance-generation', operator: 'Gt', values: ['4'] },
    { key: 'kubernetes.io/arch', operator: 'In', values: arch },
    { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
  ];
  const pool = (
    name: string,
    arch: string[],
    taints?: Array<{ key: string; effect: string }>,
  ): KubernetesObject<NodePoolSpec> => ({
    apiVersion: NODE_POOL_API_VERSION,
    kind: 'NodePool',
    metadata: { name: `${NODE_CLASS_NAME}-${name}` },
    spec: {
      template: {
        spec: {
          nodeClassRef: { group: 'eks.amazonaws.com', kind: 'NodeClass', name: nodeClassName },
          requirements: requirements(arch),
          ...(taints ? { taints } : {}),
        },
      },
      disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '30s' },
    },
  });
  return [
    pool('system', ['amd64', 'arm64'], [{ key: 'CriticalAddonsOnly', effect: 'NoSchedule' }]),
    pool('general-purpose', ['amd64']),
  ];
}
