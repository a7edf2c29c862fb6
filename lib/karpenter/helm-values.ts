/**
 * The Helm values of the Karpenter chart for a controller behind the proxy: pure, data in, values out. Every
 * key is one of the chart's `values.yaml` (aws/karpenter-provider-aws, charts/karpenter, chart 1.14.1,
 * vendored in test/fixtures/karpenter; a test checks each key against it): the chart has no
 * `values.schema.json`.
 *
 * The chart passes each `settings.*` value through Helm's `tpl` (templates/deployment.yaml): they are the
 * cluster's name and endpoint and the queue's name, produced by AWS or checked by EKS, never text of the user's
 * that could hold `{{`.
 */

/** The chart's default OCI repository (Karpenter docs, "Getting Started with Karpenter", step 8). */
export const KARPENTER_CHART_REPOSITORY = 'oci://public.ecr.aws/karpenter/karpenter';

/** The CRD chart's default OCI repository (Karpenter upgrade guide, "CRD Upgrades"). */
export const KARPENTER_CRD_CHART_REPOSITORY = 'oci://public.ecr.aws/karpenter/karpenter-crd';

/** The chart version this library pins and tests against (aws/karpenter-provider-aws release v1.14.1). */
export const KARPENTER_CHART_VERSION = '1.14.1';

/** The chart's default controller image repository (charts/karpenter/values.yaml, `controller.image`). */
export const KARPENTER_CONTROLLER_IMAGE = 'public.ecr.aws/karpenter/controller';

/** The namespace of the controller: the Karpenter docs install it in `kube-system`, where the proxy ConfigMap is. */
export const KARPENTER_NAMESPACE = 'kube-system';

/** The service account of the controller (the chart's name, `karpenter`, with `serviceAccount.name` unset). */
export const KARPENTER_SERVICE_ACCOUNT = 'karpenter';

/** What the proxy gives the controller's pod (a `NamespaceProxyEnvironment`'s pieces). */
export interface ControllerProxyValues {
  readonly envFrom: Array<Record<string, unknown>>;
  readonly env: Array<Record<string, unknown>>;
  readonly volumes: Array<Record<string, unknown>>;
  readonly volumeMounts: Array<Record<string, unknown>>;
  readonly podAnnotations: Record<string, string>;
}

/** What the values are made of. */
export interface ControllerValuesInput {
  /**
   * The region, as `AWS_REGION`: Karpenter asks IMDS for it otherwise (pkg/operator/operator.go), which a pod
   * cannot reach from nodes with IMDS hop limit 1, our default; the controller would exit at start.
   */
  readonly region: string;
  readonly clusterName: string;
  readonly clusterEndpoint: string;
  /** `settings.isolatedVPC`: no pricing lookups, no IAM calls. */
  readonly isolatedVpc: boolean;
  /** The interruption queue's name, if interruption handling is on. */
  readonly interruptionQueue?: string;
  /** Whether the chart creates the service account (not when IRSA's is created beside it). */
  readonly createServiceAccount: boolean;
  /** The controller image, when not the chart's (a private copy). */
  readonly image?: { readonly repository: string; readonly digest?: string };
  /** The proxy environment of the pod, if the cluster has a proxy. */
  readonly proxy?: ControllerProxyValues;
}

/** The chart's values. */
export function renderControllerValues(input: ControllerValuesInput): Record<string, unknown> {
  const proxy = input.proxy;
  const controller: Record<string, unknown> = {
    ...(input.image
      ? { image: { repository: input.image.repository, ...(input.image.digest ? { digest: input.image.digest } : {}) } }
      : {}),
    ...(proxy && proxy.envFrom.length > 0 ? { envFrom: proxy.envFrom } : {}),
    env: [{ name: 'AWS_REGION', value: input.region }, ...(proxy?.env ?? [])],
    ...(proxy && proxy.volumeMounts.length > 0 ? { extraVolumeMounts: proxy.volumeMounts } : {}),
  };
  return {
    settings: {
      clusterName: input.clusterName,
      clusterEndpoint: input.clusterEndpoint,
      isolatedVPC: input.isolatedVpc,
      ...(input.interruptionQueue !== undefined ? { interruptionQueue: input.interruptionQueue } : {}),
    },
    serviceAccount: { create: input.createServiceAccount, name: KARPENTER_SERVICE_ACCOUNT },
    ...(Object.keys(controller).length > 0 ? { controller } : {}),
    ...(proxy && proxy.volumes.length > 0 ? { extraVolumes: proxy.volumes } : {}),
    ...(proxy ? { podAnnotations: proxy.podAnnotations } : {}),
  };
}
