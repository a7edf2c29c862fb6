import * as cdk8s from 'cdk8s';
import { Construct } from 'constructs';
import { PROXY_CONFIGMAP_NAME } from './proxy-patch';

/** Props of `ProxyEnvironmentChart`. */
export interface ProxyEnvironmentChartProps {
  /** The proxy environment (both cases of the three variables). */
  readonly environment: Record<string, string>;
  /** The namespace of the ConfigMap. */
  readonly namespace: string;
}

/**
 * A cdk8s chart with the `proxy-environment-variables` ConfigMap that `aws-node` and `kube-proxy`
 * read through `envFrom`. Values may hold CDK tokens; aws-eks-v2 resolves them when it renders the
 * manifest into the template.
 */
export class ProxyEnvironmentChart extends cdk8s.Chart {
  /** The ConfigMap object. */
  public readonly configMap: cdk8s.ApiObject;

  constructor(scope: Construct, id: string, props: ProxyEnvironmentChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    this.configMap = new cdk8s.ApiObject(this, 'ConfigMap', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: PROXY_CONFIGMAP_NAME,
        namespace: props.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'cdk-private-eks' },
      },
      data: props.environment,
    });
  }
}

/**
 * A standalone cdk8s App with the proxy chart. cdk8s is loaded here, on first use: apps whose clusters
 * have no proxy never pay for loading it (about 20 ms, most of it cdk8s's YAML library).
 */
export function proxyEnvironmentChart(props: ProxyEnvironmentChartProps): ProxyEnvironmentChart {
  return new ProxyEnvironmentChart(new cdk8s.App(), 'ProxyEnvironment', props);
}
