import { createHash } from 'crypto';
import { Annotations, CfnResource, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { PROXY_CREDENTIALS_SECRET_NAME, ProxyCredentialsSecret } from '../credentials/kubernetes-secret';
import { invalid } from '../errors';
import { jsonTextWithDeployTimeValues } from '../private/deploy-time';
import type { ProxySettings } from '../proxy/proxy-settings';
import type * as proxyChart from './proxy-chart';
import { DaemonSetTarget, DEFAULT_TARGETS, renderApplyPatch, renderRestorePatch } from './proxy-patch';

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
}

/**
 * The proxy ConfigMap in `kube-system`, the credentials Secret (for an authenticating proxy) and the
 * DaemonSet patches that make `aws-node`, `kube-proxy` and the extra DaemonSets read them.
 */
export function applyProxyManifests(scope: Construct, input: ProxyManifestsInput): eks.KubernetesManifest {
  const { cluster, proxy, environment } = input;
  // Loaded here, not at the top: only clusters with a proxy need cdk8s (see proxyEnvironmentChart).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { proxyEnvironmentChart }: typeof proxyChart = require('./proxy-chart');
  const chart = proxyEnvironmentChart({ environment, namespace: 'kube-system' });
  // What cluster.addCdk8sChart does (same construct path), keeping the objects: aws-eks-v2 writes them into
  // the template as JSON text with Stack.toJsonString, which pastes a resolved token between the quotes as
  // is. A value given as a parameter with a `"` would then add keys or whole Kubernetes objects of its
  // choosing, applied by the kubectl provider; such values are escaped at deploy time instead.
  const objects = chart.toJson();
  const manifest = new eks.KubernetesManifest(cluster, 'ProxyEnvironment', { cluster, manifest: objects });
  const text = jsonTextWithDeployTimeValues(scope, objects);
  if (text !== undefined) {
    (manifest.node.defaultChild as CfnResource).addPropertyOverride('Manifest', text);
  }
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
  const settings = credentials
    ? { environment, credentials: credentials.secret.secretArn, revision: credentials.revision }
    : environment;
  const hash = createHash('sha256')
    .update(JSON.stringify(Stack.of(scope).resolve(settings)))
    .digest('hex')
    .slice(0, 16);
  const targets: DaemonSetTarget[] = [
    ...DEFAULT_TARGETS,
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
    const patch = new eks.KubernetesPatch(scope, `ProxyPatch-${target.namespace}-${target.name}`, {
      cluster,
      resourceName: `daemonset/${target.name}`,
      resourceNamespace: target.namespace,
      patchType: eks.PatchType.STRATEGIC,
      applyPatch: renderApplyPatch(target, hash, credentialsSecret ? PROXY_CREDENTIALS_SECRET_NAME : undefined),
      restorePatch: renderRestorePatch(target),
    });
    patch.node.addDependency(manifest);
    if (credentialsSecret) {
      patch.node.addDependency(credentialsSecret.resource);
    }
  }
  Annotations.of(scope).addInfo(
    'cdk-private-eks: aws-node and kube-proxy are patched to read the proxy ConfigMap. Updating the vpc-cni or kube-proxy ' +
      'add-on (or eksctl utils update-*) can drop the patch: redeploy this stack after such an update to re-apply it.',
  );
  return manifest;
}
