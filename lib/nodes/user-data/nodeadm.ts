/**
 * Pure renderer of the AL2023 nodeadm `NodeConfig` MIME part (`application/node.eks.aws`).
 *
 * Fields (awslabs/amazon-eks-ami `nodeadm/api/v1alpha1/nodeconfig_types.go`):
 * - `spec.instance.environment.default` is nodeadm's own proxy seam: nodeadm applies it to its own
 *   process before its EC2 calls and writes it as systemd `DefaultEnvironment=` for every service it
 *   starts (kubelet, containerd) (`nodeadm/internal/system/environment.go`; AMI release v20251007,
 *   reliable before the EC2 calls from v20251120, PR #2489). Older AMIs ignore the unknown field (the
 *   decoder is not strict: `nodeadm/internal/api/bridge/decode.go`).
 * - `spec.cluster` (`name`, `apiServerEndpoint`, `certificateAuthority`, `cidr`) lets a node join
 *   without calling the EKS API; EKS writes it itself for managed nodes on the EKS AMI.
 * - `spec.kubelet.flags` carries labels and taints for self-managed nodes, and the image credential
 *   provider configuration of registry mirrors (registry-mirrors.ts).
 *
 * Written in the JSON-compatible subset of YAML: every data value and data key is a double-quoted
 * scalar (so `on`, `yes`, `1.10` stay strings), and token markers pass through unchanged.
 */
import { ClusterBootstrap, KubeletRegistration } from './family';
import { yamlString } from '../../private/encoders';

/** The NodeConfig API version and kind. */
export const NODECONFIG_API_VERSION = 'node.eks.aws/v1alpha1';

/** The MIME content type nodeadm reads its NodeConfig from. */
export const NODEADM_CONTENT_TYPE = 'application/node.eks.aws';

/** Input of `renderNodeConfig`. */
export interface NodeConfigInput {
  /** Environment for every systemd service and for nodeadm itself. */
  readonly environment?: Record<string, string>;
  /** Cluster details, for nodes that join without the EKS API. */
  readonly cluster?: ClusterBootstrap;
  /** Labels and taints, for self-managed nodes. */
  readonly kubelet?: KubeletRegistration;
  /** Further kubelet flags (e.g. the image credential provider configuration of registry mirrors). */
  readonly extraKubeletFlags?: string[];
}

const q = yamlString;

/** Render a NodeConfig with the sections the input has. */
export function renderNodeConfig(input: NodeConfigInput): string {
  const lines = ['---', `apiVersion: ${NODECONFIG_API_VERSION}`, 'kind: NodeConfig', 'spec:'];
  if (input.cluster) {
    lines.push(
      '  cluster:',
      `    name: ${q(input.cluster.name)}`,
      `    apiServerEndpoint: ${q(input.cluster.endpoint)}`,
      `    certificateAuthority: ${q(input.cluster.certificateAuthority)}`,
      `    cidr: ${q(input.cluster.serviceCidr)}`,
    );
  }
  const flags = [...kubeletFlags(input.kubelet), ...(input.extraKubeletFlags ?? [])];
  if (flags.length > 0) {
    lines.push('  kubelet:', '    flags:', ...flags.map((f) => `      - ${q(f)}`));
  }
  if (input.environment) {
    lines.push(
      '  instance:',
      '    environment:',
      '      default:',
      ...Object.entries(input.environment).map(([k, v]) => `        ${q(k)}: ${q(v)}`),
    );
  }
  return lines.join('\n') + '\n';
}

/** Kubelet command-line flags for labels and taints (shared by the Amazon Linux families). */
export function kubeletFlags(kubelet: KubeletRegistration | undefined): string[] {
  if (!kubelet) {
    return [];
  }
  const flags: string[] = [];
  const labels = Object.entries(kubelet.labels).map(([k, v]) => `${k}=${v}`);
  if (labels.length > 0) {
    flags.push(`--node-labels=${labels.join(',')}`);
  }
  if (kubelet.taints.length > 0) {
    flags.push(`--register-with-taints=${kubelet.taints.join(',')}`);
  }
  return flags;
}
