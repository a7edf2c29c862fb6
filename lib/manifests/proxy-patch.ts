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

/** The ConfigMap (in the patched workload's namespace) with the CA bundle of a TLS-inspecting proxy. */
export const CA_CONFIGMAP_NAME = 'proxy-ca-bundle';

/** The key of the bundle in that ConfigMap: the file name under the mount path. */
export const CA_BUNDLE_KEY = 'proxy-ca.pem';

/** Where the patched containers see the bundle (a directory holding `proxy-ca.pem`). */
export const CA_MOUNT_PATH = '/etc/cdk-private-eks/proxy-ca';

/** The volume the patch adds to the pod template. */
export const CA_VOLUME_NAME = 'cdk-private-eks-proxy-ca';

/**
 * `SSL_CERT_DIR` of the patched containers. Go's crypto/x509 on Linux (aws-node, its AWS SDK for Go v2 when
 * AWS_CA_BUNDLE is unset, kube-proxy) loads the first default bundle file it finds (SSL_CERT_FILE unset)
 * and then every file of each SSL_CERT_DIR directory instead of its default directories (`root_unix.go`,
 * `loadSystemRoots`; defaults in `root_linux.go`): our directory is listed with the two default ones, so
 * the bundle is added to the image's roots, never in their place.
 */
export const CA_CERT_DIR = `${CA_MOUNT_PATH}:/etc/ssl/certs:/etc/pki/tls/certs`;

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
        readonly containers: ReadonlyArray<{
          readonly name: string;
          readonly envFrom: EnvFromSource[];
          /** With a CA bundle: SSL_CERT_DIR (or its deletion directive in the restore patch). */
          readonly env?: ReadonlyArray<Record<string, string>>;
          readonly volumeMounts?: ReadonlyArray<Record<string, string | boolean>>;
        }>;
        readonly volumes?: ReadonlyArray<Record<string, unknown>>;
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
  caBundle = false,
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
    caBundle ? 'apply' : undefined,
  );
}

/**
 * The patch that restores the containers' own `envFrom` and removes the annotations (on stack deletion);
 * `revised` when the apply patch set the revision annotation.
 */
export function renderRestorePatch(target: DaemonSetTarget, revised = false, caBundle = false): DaemonSetPatch {
  return patch(target, [...target.keepEnvFrom], null, revised ? null : undefined, caBundle ? 'restore' : undefined);
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
  ca?: 'apply' | 'restore',
): DaemonSetPatch {
  // Strategic merge: `env` merges by name, `volumeMounts` by mountPath, `volumes` by name; `$patch: delete`
  // removes the item with that key.
  const del = ca === 'restore' ? { $patch: 'delete' } : undefined;
  const container = (name: string): DaemonSetPatch['spec']['template']['spec']['containers'][number] => ({
    name,
    envFrom,
    ...(ca === undefined
      ? {}
      : {
          env: [del ? { name: 'SSL_CERT_DIR', ...del } : { name: 'SSL_CERT_DIR', value: CA_CERT_DIR }] as Array<
            Record<string, string>
          >,
          volumeMounts: [
            del
              ? { mountPath: CA_MOUNT_PATH, ...del }
              : { name: CA_VOLUME_NAME, mountPath: CA_MOUNT_PATH, readOnly: true },
          ],
        }),
  });
  return {
    ...(revision !== undefined ? { metadata: { annotations: { [PROXY_PATCH_REVISION_ANNOTATION]: revision } } } : {}),
    spec: {
      template: {
        metadata: { annotations: { [PROXY_HASH_ANNOTATION]: hash } },
        spec: {
          containers: target.containers.map(container),
          ...(ca === undefined
            ? {}
            : {
                volumes: [
                  del
                    ? { name: CA_VOLUME_NAME, ...del }
                    : { name: CA_VOLUME_NAME, configMap: { name: CA_CONFIGMAP_NAME } },
                ],
              }),
        },
      },
    },
  };
}
