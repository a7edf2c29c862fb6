/**
 * Pure renderer of the AL2023 nodeadm `NodeConfig` MIME part (`application/node.eks.aws`).
 *
 * `spec.instance.environment.default` is nodeadm's own proxy seam: nodeadm applies it to its own
 * process before its EC2 calls and writes it as systemd `DefaultEnvironment=` for every service it
 * starts (kubelet, containerd). Source: awslabs/amazon-eks-ami `nodeadm/api/v1alpha1/nodeconfig_types.go`
 * (`InstanceOptions.Environment`, type `EnvironmentOptions map[string]map[string]string`) and
 * `nodeadm/internal/system/environment.go`; shipped in AMI release v20251007, reliable before the
 * EC2 calls from v20251120 (PR #2489).
 *
 * The document is written in the JSON-compatible subset of YAML (double-quoted scalars), so no YAML
 * library is needed and token markers in values pass through unchanged.
 */

/** The NodeConfig API version and kind. */
export const NODECONFIG_API_VERSION = 'node.eks.aws/v1alpha1';

/** Input of `renderNodeConfig`. */
export interface NodeConfigInput {
  /** Environment for every systemd service and for nodeadm itself. */
  readonly environment: Record<string, string>;
}

/** Render a NodeConfig that carries only the instance environment (EKS merges the cluster fields). */
export function renderNodeConfig(input: NodeConfigInput): string {
  const env = Object.entries(input.environment)
    .map(([k, v]) => `        ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return [
    '---',
    `apiVersion: ${NODECONFIG_API_VERSION}`,
    'kind: NodeConfig',
    'spec:',
    '  instance:',
    '    environment:',
    '      default:',
    ...env,
    '',
  ].join('\n');
}
