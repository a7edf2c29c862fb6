/**
 * Pure renderer of the strategic-merge patches that make DaemonSet containers read the proxy
 * ConfigMap (`envFrom.configMapRef`). No CDK imports.
 *
 * Strategic merge merges `containers` and `env` by name (existing env survives), but replaces an
 * `envFrom` list as a whole, because `envFrom` has no merge key. The patch therefore lists the
 * `envFrom` sources a container already has (`keepEnvFrom`) before ours; the upstream `aws-node`
 * (VPC CNI v1.23.1) and `kube-proxy` (EKS add-on) DaemonSets have none.
 */

/** The name of the proxy ConfigMap, as in the EKS knowledge-center article the pattern comes from. */
export const PROXY_CONFIGMAP_NAME = 'proxy-environment-variables';

/** The pod-template annotation holding a hash of the proxy settings, so that a change rolls the pods. */
export const PROXY_HASH_ANNOTATION = 'cdk-private-eks.io/proxy-settings-hash';

/**
 * The annotation on the patched object itself (not its pod template) naming what the patch was last
 * applied for: the managed add-on's name, version and configuration, and the on-demand revision. A new
 * value changes the patch custom resource's properties, so CloudFormation runs the patch again, without
 * rolling the pods when the `envFrom` is still in place.
 */
export const PROXY_PATCH_REVISION_ANNOTATION = 'cdk-private-eks.io/proxy-patch-revision';

/** One `envFrom` source as Kubernetes writes it. */
export interface EnvFromSource {
  readonly configMapRef?: { readonly name: string };
  readonly secretRef?: { readonly name: string };
  readonly prefix?: string;
}

/** A DaemonSet (or Deployment) whose containers get the proxy. */
export interface DaemonSetTarget {
  /** `daemonset` (the default) or `deployment`: both patch `spec.template`. */
  readonly kind?: 'daemonset' | 'deployment';
  readonly name: string;
  readonly namespace: string;
  readonly containers: string[];
  /** envFrom sources the containers already have, kept in front of ours. */
  readonly keepEnvFrom: EnvFromSource[];
}

/** A strategic-merge patch of a DaemonSet's pod template: the containers' `envFrom` and the hash annotation. */
export interface DaemonSetPatch {
  /** The revision annotation of the object itself, when the patch is tied to an add-on or a revision. */
  readonly metadata?: { readonly annotations: Record<string, string | null> };
  readonly spec: {
    readonly template: {
      /** `null` removes the annotation (JSON merge semantics of strategic merge). */
      readonly metadata: { readonly annotations: Record<string, string | null> };
      readonly spec: {
        readonly containers: ReadonlyArray<{ readonly name: string; readonly envFrom: EnvFromSource[] }>;
      };
    };
  };
}

/** The DaemonSets of an EKS cluster that call AWS or the API server through the node network. */
export const DEFAULT_TARGETS: readonly DaemonSetTarget[] = [
  // VPC CNI: the CNI daemon and the network policy agent (amazon-vpc-cni-k8s config/master/aws-k8s-cni.yaml).
  { name: 'aws-node', namespace: 'kube-system', containers: ['aws-node', 'aws-eks-nodeagent'], keepEnvFrom: [] },
  { name: 'kube-proxy', namespace: 'kube-system', containers: ['kube-proxy'], keepEnvFrom: [] },
];

/**
 * The patch that adds `envFrom: configMapRef` to every listed container and sets the hash annotation.
 * With an authenticating proxy, a `secretRef` to the credentials Secret follows the ConfigMap: its
 * proxy URLs (with credentials) win, as the last source of a key takes precedence.
 */
export function renderApplyPatch(
  target: DaemonSetTarget,
  settingsHash: string,
  credentialsSecret?: string,
  revision?: string,
): DaemonSetPatch {
  return patch(
    target,
    [
      ...target.keepEnvFrom,
      { configMapRef: { name: PROXY_CONFIGMAP_NAME } },
      ...(credentialsSecret ? [{ secretRef: { name: credentialsSecret } }] : []),
    ],
    settingsHash,
    revision,
  );
}

/**
 * The patch that restores the containers' own `envFrom` and removes the annotations (on stack deletion);
 * `revised` when the apply patch set the revision annotation.
 */
export function renderRestorePatch(target: DaemonSetTarget, revised = false): DaemonSetPatch {
  return patch(target, [...target.keepEnvFrom], null, revised ? null : undefined);
}

/** The `kubectl patch` resource name of a target: `daemonset/aws-node`. */
export function patchResourceName(target: DaemonSetTarget): string {
  return `${target.kind ?? 'daemonset'}/${target.name}`;
}

function patch(
  target: DaemonSetTarget,
  envFrom: EnvFromSource[],
  hash: string | null,
  revision: string | null | undefined,
): DaemonSetPatch {
  return {
    ...(revision !== undefined ? { metadata: { annotations: { [PROXY_PATCH_REVISION_ANNOTATION]: revision } } } : {}),
    spec: {
      template: {
        metadata: { annotations: { [PROXY_HASH_ANNOTATION]: hash } },
        spec: {
          containers: target.containers.map((name) => ({ name, envFrom })),
        },
      },
    },
  };
}
