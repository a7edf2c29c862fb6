import { createHash } from 'crypto';
import { Annotations, CfnResource, Lazy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct, DependencyGroup, IDependable } from 'constructs';
import { PROXY_CREDENTIALS_SECRET_NAME, ProxyCredentialsSecret } from '../credentials/kubernetes-secret';
import { invalid } from '../errors';
import { jsonTextWithDeployTimeValues } from '../private/deploy-time';
import type { ProxySettings } from '../proxy/proxy-settings';
import { CredentialsSecretWriter, NamespaceProxyEnvironment } from './proxy-environment';
import type * as proxyChart from './proxy-chart';
import {
  CA_BUNDLE_KEY,
  CA_CONFIGMAP_NAME,
  DaemonSetTarget,
  DEFAULT_TARGETS,
  patchResourceName,
  renderApplyPatch,
  renderRestorePatch,
} from './proxy-patch';

/**
 * A DaemonSet (besides `aws-node` and `kube-proxy`) whose containers should read the proxy ConfigMap.
 */
export interface ProxiedDaemonSet {
  /** Name of the DaemonSet. */
  readonly name: string;

  /**
   * Namespace of the DaemonSet.
   *
   * @default 'kube-system'
   */
  readonly namespace?: string;

  /** Names of the containers that get `envFrom: configMapRef`. */
  readonly containers: string[];

  /**
   * ConfigMaps the containers already read through `envFrom`. A strategic-merge patch replaces
   * `envFrom` as a whole, so they are written back in front of the proxy ConfigMap.
   *
   * @default - none
   */
  readonly existingEnvFromConfigMaps?: string[];

  /**
   * Secrets the containers already read through `envFrom`, kept the same way.
   *
   * @default - none
   */
  readonly existingEnvFromSecrets?: string[];
}

/** Input of `applyProxyManifests`. */
export interface ProxyManifestsInput {
  readonly cluster: eks.Cluster;
  readonly proxy: ProxySettings;
  /** The proxy environment (both cases, composed NO_PROXY). */
  readonly environment: Record<string, string>;
  readonly extra: ProxiedDaemonSet[];
  /** The subnets of the function that writes the credentials Secret. */
  readonly subnets: ec2.SubnetSelection;
  /** A value whose change re-applies every patch (`proxyPatchRevision`). */
  readonly revision?: string;
  /**
   * Patch `aws-node` and `kube-proxy`. Not on EKS Auto Mode, which runs neither as a DaemonSet.
   * @default true
   */
  readonly patchDefaultDaemonSets?: boolean;
  /**
   * Writes the credentials Secret into namespaces besides `kube-system`, for `addProxyEnvironment`.
   * @default - none: an authenticating proxy's environment is available in `kube-system` only
   */
  readonly credentialsWriter?: CredentialsSecretWriter;
}

/** The manifests of a proxied cluster: the ConfigMap in `kube-system` and the workload patches. */
export interface ProxyManifests {
  readonly configMap: eks.KubernetesManifest;
  readonly patches: ProxyPatches;
  /** The proxy environment in a namespace (written there on first use), with the values of `kube-system`'s. */
  readonly environmentIn: (namespace: string) => NamespaceProxyEnvironment;
}

/**
 * The proxy ConfigMap in `kube-system`, the credentials Secret (for an authenticating proxy) and the
 * DaemonSet patches that make `aws-node`, `kube-proxy` and the extra DaemonSets read them.
 */
export function applyProxyManifests(scope: Construct, input: ProxyManifestsInput): ProxyManifests {
  const { cluster, proxy, environment } = input;
  // Loaded here, not at the top: only clusters with a proxy need cdk8s (see proxyEnvironmentChart).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { proxyEnvironmentChart }: typeof proxyChart = require('./proxy-chart');
  const chart = proxyEnvironmentChart({ environment, namespace: 'kube-system' });
  const configMap = addManifestWithDeployTimeValues(cluster, 'ProxyEnvironment', chart.toJson());
  const credentials = proxy.credentials;
  const credentialsSecret =
    credentials &&
    new ProxyCredentialsSecret(scope, 'ProxyCredentials', {
      cluster,
      credentials,
      httpProxy: proxy.httpProxy,
      httpsProxy: proxy.httpsProxy,
      namespace: 'kube-system',
      subnets: input.subnets,
    });
  // Hash of the resolved settings (CloudFormation intrinsics included), stable between synths:
  // a change of proxy, VPC CIDR or endpoints changes it and rolls the pods to re-read the ConfigMap.
  const base = credentials
    ? { environment, credentials: credentials.secret.secretArn, revision: credentials.revision }
    : environment;
  // Go reads its roots once per process: a new bundle rolls the pods too.
  const settings = proxy.caBundle === undefined ? base : { settings: base, caBundle: proxy.caBundle };
  const settingsHash = shortHash(scope, settings);
  const patches = new ProxyPatches(scope, {
    cluster,
    settingsHash,
    credentialsSecret,
    configMap,
    caBundle: proxy.caBundle,
    revision: input.revision,
  });
  const targets: DaemonSetTarget[] = [
    ...(input.patchDefaultDaemonSets === false ? [] : DEFAULT_TARGETS),
    ...input.extra.map((d) => ({
      name: d.name,
      namespace: d.namespace ?? 'kube-system',
      containers: d.containers,
      keepEnvFrom: [
        ...(d.existingEnvFromConfigMaps ?? []).map((name) => ({ configMapRef: { name } })),
        ...(d.existingEnvFromSecrets ?? []).map((name) => ({ secretRef: { name } })),
      ],
    })),
  ];
  for (const target of targets) {
    if (target.containers.length === 0) {
      invalid(
        scope,
        `additionalProxiedDaemonSets[${target.name}].containers`,
        'is empty',
        'Name the containers that need the proxy',
      );
    }
    patches.patch(target);
  }
  Annotations.of(scope).addInfo(
    'cdk-private-eks: aws-node and kube-proxy are patched to read the proxy ConfigMap. The patch runs again when the ' +
      'vpc-cni or kube-proxy add-on added through the cluster changes version or configuration; after an update made ' +
      'outside this stack (console, CLI, eksctl utils update-*), change proxyPatchRevision and redeploy to re-apply it.',
  );
  const environments = new Map<string, NamespaceProxyEnvironment>();
  const environmentIn = (namespace: string): NamespaceProxyEnvironment => {
    const existing = environments.get(namespace);
    if (existing) {
      return existing;
    }
    let secret: IDependable | undefined;
    if (credentialsSecret && credentials) {
      // Another namespace gets a writer of its own (function, role, access entry, Role and RoleBinding for
      // that one Secret there), configured like kube-system's, so a rotation (revision) rewrites both.
      const writer: CredentialsSecretWriter = input.credentialsWriter ?? {
        secretName: PROXY_CREDENTIALS_SECRET_NAME,
        writeInto: (ns) =>
          new ProxyCredentialsSecret(scope, `ProxyCredentials-${ns}`, {
            cluster,
            credentials,
            httpProxy: proxy.httpProxy,
            httpsProxy: proxy.httpsProxy,
            namespace: ns,
            subnets: input.subnets,
          }).resource,
      };
      secret = namespace === 'kube-system' ? credentialsSecret.resource : writer.writeInto(namespace);
    }
    const manifest =
      namespace === 'kube-system'
        ? configMap
        : addManifestWithDeployTimeValues(
            cluster,
            `ProxyEnvironment-${namespace}`,
            proxyEnvironmentChart({ environment, namespace }).toJson(),
          );
    // A TLS-inspecting proxy's CA: the same ConfigMap the patched DaemonSets mount, in this namespace too.
    const ca = proxy.caBundle === undefined ? undefined : patches.caConfigMapIn(namespace, proxy.caBundle);
    const env = new NamespaceProxyEnvironment(
      namespace,
      manifest,
      new DependencyGroup(manifest, ...(secret ? [secret] : []), ...(ca ? [ca] : [])),
      settingsHash,
      environment,
      credentialsSecret ? PROXY_CREDENTIALS_SECRET_NAME : undefined,
      ca !== undefined,
    );
    environments.set(namespace, env);
    return env;
  };
  return { configMap, patches, environmentIn };
}

/** The first 16 hex digits of the SHA-256 of a value's resolved JSON (stable between synths). */
export function shortHash(scope: Construct, value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(Stack.of(scope).resolve(value) ?? null))
    .digest('hex')
    .slice(0, 16);
}

/** What every patch of a cluster shares. */
interface ProxyPatchContext {
  readonly cluster: eks.Cluster;
  readonly settingsHash: string;
  readonly credentialsSecret?: ProxyCredentialsSecret;
  readonly configMap: eks.KubernetesManifest;
  /** The canonical PEM of a TLS-inspecting proxy's CA: each patched namespace gets a ConfigMap with it. */
  readonly caBundle?: string;
  readonly revision?: string;
}

/**
 * The `KubernetesPatch` of each proxied workload, one per object, and what each is tied to. A patch tied to
 * a managed add-on depends on it (CloudFormation updates the add-on first) and carries the add-on's
 * version and configuration in its revision annotation, so that an add-on update changes the patch's
 * properties and CloudFormation runs the patch again after it.
 */
export class ProxyPatches {
  private readonly byObject = new Map<string, { patch: eks.KubernetesPatch; revisions: string[] }>();
  private readonly caConfigMaps = new Map<string, eks.KubernetesManifest>();

  constructor(
    private readonly scope: Construct,
    private readonly context: ProxyPatchContext,
  ) {}

  /**
   * The patch of `target`, created on first use.
   * @param target the workload
   */
  public patch(target: DaemonSetTarget): eks.KubernetesPatch {
    const key = `${target.namespace}/${patchResourceName(target)}`;
    const existing = this.byObject.get(key);
    if (existing) {
      return existing.patch;
    }
    const { cluster, settingsHash, credentialsSecret, configMap, caBundle } = this.context;
    const withCa = caBundle !== undefined;
    const revisions: string[] = [];
    const revision = () => {
      const all = [...revisions, ...(this.context.revision !== undefined ? [`revision=${this.context.revision}`] : [])];
      return all.length > 0 ? all.join(',') : undefined;
    };
    const kindInId = target.kind && target.kind !== 'daemonset' ? `${target.kind}-` : '';
    const secretName = credentialsSecret ? PROXY_CREDENTIALS_SECRET_NAME : undefined;
    const patch = new eks.KubernetesPatch(this.scope, `ProxyPatch-${target.namespace}-${kindInId}${target.name}`, {
      cluster,
      resourceName: patchResourceName(target),
      resourceNamespace: target.namespace,
      patchType: eks.PatchType.STRATEGIC,
      // Lazy: an add-on added after the cluster still ties the patch (its revision is read at synth).
      applyPatch: Lazy.any({ produce: () => renderApplyPatch(target, settingsHash, secretName, revision(), withCa) }),
      restorePatch: Lazy.any({ produce: () => renderRestorePatch(target, revision() !== undefined, withCa) }),
    });
    patch.node.addDependency(configMap);
    if (caBundle !== undefined) {
      patch.node.addDependency(this.caConfigMapIn(target.namespace, caBundle));
    }
    if (credentialsSecret) {
      patch.node.addDependency(credentialsSecret.resource);
    }
    this.byObject.set(key, { patch, revisions });
    return patch;
  }

  /**
   * The CA bundle ConfigMap in `namespace` (the patched pods and `addProxyEnvironment`'s workloads mount it),
   * created once per namespace.
   */
  public caConfigMapIn(namespace: string, caBundle: string): eks.KubernetesManifest {
    const existing = this.caConfigMaps.get(namespace);
    if (existing) {
      return existing;
    }
    const manifest = this.context.cluster.addManifest(`ProxyCaBundle-${namespace}`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: CA_CONFIGMAP_NAME,
        namespace,
        labels: { 'app.kubernetes.io/managed-by': 'cdk-private-eks' },
      },
      data: { [CA_BUNDLE_KEY]: caBundle },
    });
    this.caConfigMaps.set(namespace, manifest);
    return manifest;
  }

  /**
   * Tie the patch of `target` to a managed add-on: it runs after the add-on and again whenever `revision`
   * (the add-on's name, version and configuration) changes.
   * @param target the workload the add-on owns
   * @param addon the add-on construct
   * @param revision what identifies the add-on's state
   */
  public tieTo(target: DaemonSetTarget, addon: IDependable, revision: string): void {
    const patch = this.patch(target);
    patch.node.addDependency(addon);
    this.byObject.get(`${target.namespace}/${patchResourceName(target)}`)!.revisions.push(revision);
  }
}

/**
 * What `cluster.addCdk8sChart(id, chart)` does (same construct path, so the same logical id), keeping the
 * objects: aws-eks-v2 writes them into the template as JSON text with `Stack.toJsonString`, which pastes a
 * resolved token between the quotes as is. A value given as a parameter with a `"` would then add keys or
 * whole Kubernetes objects of its choosing, applied by the kubectl provider; such values are escaped by
 * CloudFormation instead (lib/private/deploy-time.ts, `jsonTextWithDeployTimeValues`).
 */
export function addManifestWithDeployTimeValues(
  cluster: eks.ICluster,
  id: string,
  objects: Array<Record<string, unknown>>,
): eks.KubernetesManifest {
  const manifest = new eks.KubernetesManifest(cluster, id, { cluster, manifest: objects });
  const text = jsonTextWithDeployTimeValues(cluster, objects);
  if (text !== undefined) {
    (manifest.node.defaultChild as CfnResource).addPropertyOverride('Manifest', text);
  }
  return manifest;
}
