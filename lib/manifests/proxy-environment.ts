import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { IDependable } from 'constructs';
import { invalid } from '../errors';
import {
  CA_CERT_DIR,
  CA_CONFIGMAP_NAME,
  CA_MOUNT_PATH,
  CA_VOLUME_NAME,
  PROXY_CONFIGMAP_NAME,
  PROXY_HASH_ANNOTATION,
} from './proxy-patch';

/**
 * The seam to the writer of the credentials Secret (lib/credentials): what the proxy environment of a
 * namespace needs from it. The writer puts the Secret, under one name, into every namespace it is given.
 */
export interface CredentialsSecretWriter {
  /** The name of the Secret, the same in every namespace. */
  readonly secretName: string;
  /**
   * Write the Secret into `namespace` as well, kept in step with `kube-system`'s.
   * @returns what must exist before pods read the Secret
   */
  writeInto(namespace: string): IDependable;
}

/**
 * The proxy variables in one namespace, made by `PrivateEksCluster.addProxyEnvironment`: the
 * `proxy-environment-variables` ConfigMap (and, for an authenticating proxy, the credentials Secret),
 * with the same values as in `kube-system`, and what a pod spec or a Helm chart needs to read them.
 */
export class NamespaceProxyEnvironment {
  /** The namespace. */
  public readonly namespace: string;

  /** The name of the ConfigMap with the proxy variables. */
  public readonly configMapName: string;

  /** The name of the Secret with the proxy URLs including credentials, for an authenticating proxy. */
  public readonly credentialsSecretName?: string;

  /** The ConfigMap's manifest: make it depend on a namespace you create in the same app. */
  public readonly configMap: eks.KubernetesManifest;

  /** The ConfigMap and the Secret: make workloads that read them depend on it. */
  public readonly dependable: IDependable;

  /** A hash of the proxy settings, as on the patched DaemonSets: a new value means new settings. */
  public readonly settingsHash: string;

  /** Whether the proxy inspects TLS: then the `proxy-ca-bundle` ConfigMap is in the namespace too. */
  public readonly hasCaBundle: boolean;

  private readonly variables: Record<string, string>;

  /**
   * Made by `PrivateEksCluster.addProxyEnvironment`.
   * @param namespace the namespace
   * @param configMap the ConfigMap's manifest in that namespace
   * @param dependable the ConfigMap and the Secret
   * @param settingsHash the hash of the proxy settings
   * @param variables the proxy variables, both cases
   * @param credentialsSecretName the credentials Secret, for an authenticating proxy
   * @param hasCaBundle whether the CA bundle ConfigMap of a TLS-inspecting proxy is in the namespace
   */
  constructor(
    namespace: string,
    configMap: eks.KubernetesManifest,
    dependable: IDependable,
    settingsHash: string,
    variables: Record<string, string>,
    credentialsSecretName?: string,
    hasCaBundle: boolean = false,
  ) {
    this.hasCaBundle = hasCaBundle;
    this.namespace = namespace;
    this.configMapName = PROXY_CONFIGMAP_NAME;
    this.credentialsSecretName = credentialsSecretName;
    this.configMap = configMap;
    this.dependable = dependable;
    this.settingsHash = settingsHash;
    this.variables = variables;
  }

  /**
   * The `envFrom` list of a container (pod spec, or a Helm chart's `envFrom` value): the ConfigMap, then
   * the credentials Secret, whose proxy URLs win as the last source of a key.
   */
  public envFrom(): Array<Record<string, unknown>> {
    return [
      { configMapRef: { name: this.configMapName } },
      ...(this.credentialsSecretName ? [{ secretRef: { name: this.credentialsSecretName } }] : []),
    ];
  }

  /**
   * The pod's volume with the TLS-inspecting proxy's CA (the `proxy-ca-bundle` ConfigMap), as the patched
   * DaemonSets have it; empty when the proxy does not inspect TLS.
   */
  public caVolumes(): Array<Record<string, unknown>> {
    return this.hasCaBundle ? [{ name: CA_VOLUME_NAME, configMap: { name: CA_CONFIGMAP_NAME } }] : [];
  }

  /** A container's mount of `caVolumes()`, read-only at `/etc/cdk-private-eks/proxy-ca`; empty without a CA. */
  public caVolumeMounts(): Array<Record<string, unknown>> {
    return this.hasCaBundle ? [{ name: CA_VOLUME_NAME, mountPath: CA_MOUNT_PATH, readOnly: true }] : [];
  }

  /**
   * A container's `env` entry that makes Go (and OpenSSL-based clients) trust the CA beside the image's roots:
   * `SSL_CERT_DIR` with the mount first, then the usual directories; empty without a CA.
   */
  public caEnv(): Array<Record<string, unknown>> {
    return this.hasCaBundle ? [{ name: 'SSL_CERT_DIR', value: CA_CERT_DIR }] : [];
  }

  /**
   * Pod template annotations with the settings hash (a Helm chart's `podAnnotations`): a change of the
   * proxy settings changes the pod template, so the pods restart and read the new values (`envFrom` is
   * read only when a container starts).
   */
  public podAnnotations(): Record<string, string> {
    return { [PROXY_HASH_ANNOTATION]: this.settingsHash };
  }

  /**
   * The proxy variables as a name-to-value map, for a Helm chart whose `env` value is such a map (the
   * AWS Load Balancer Controller chart's, aws/eks-charts stable/aws-load-balancer-controller). Refused
   * for an authenticating proxy: the values would carry no credentials (use `envFrom`).
   */
  public envMap(): Record<string, string> {
    if (this.credentialsSecretName) {
      invalid(
        'NamespaceProxyEnvironment',
        'envMap',
        'is asked for an authenticating proxy: plain values carry no credentials',
        'Give the chart envFrom() (the credentials Secret) instead, or a chart that takes envFrom',
      );
    }
    return { ...this.variables };
  }
}
