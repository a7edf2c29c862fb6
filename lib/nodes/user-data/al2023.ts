/**
 * Amazon Linux 2023 nodes (nodeadm): the default family.
 *
 * User data: a `text/cloud-boothook` part (dnf, /etc/environment, systemd drop-ins), a nodeadm
 * `NodeConfig` part (proxy for nodeadm itself; cluster details and kubelet flags when the node joins
 * without the EKS API), and for self-managed nodes a part that signals CloudFormation when kubelet is
 * healthy.
 */
import { boothookPart } from './boothook';
import { compareVersions, NodeBootstrapInput, NodeFamilySpec, RenderedUserData, UserDataPart } from './family';
import { NODEADM_CONTENT_TYPE, renderNodeConfig } from './nodeadm';
import { renderReadySignal } from './ready-signal';

/** The systemd units of an AL2023 EKS node that make outbound calls. */
export const AL2023_UNITS = ['containerd', 'kubelet', 'amazon-ssm-agent'];

export const AL2023: NodeFamilySpec = {
  name: 'AL2023',
  devices: { data: '/dev/xvda' },
  amiTypes: {
    x86_64: ['AL2023_x86_64_STANDARD', 'AL2023_x86_64_NVIDIA', 'AL2023_x86_64_NEURON'],
    arm64: ['AL2023_ARM_64_STANDARD', 'AL2023_ARM_64_NVIDIA'],
  },

  // Public SSM parameters of the EKS-optimized AMIs (EKS user guide, "Retrieve recommended Amazon Linux AMI IDs").
  amiParameter: (version, arch) =>
    `/aws/service/eks/optimized-ami/${version}/amazon-linux-2023/${arch}/standard/recommended/image_id`,

  // EKS publishes AL2023 AMIs from Kubernetes 1.23 on.
  versionProblem: (version) =>
    compareVersions(version, '1.23') < 0
      ? `Kubernetes ${version} has no Amazon Linux 2023 EKS AMI (they start at 1.23)`
      : undefined,

  warning: () => undefined,

  inputProblem: () => undefined,

  render(input: NodeBootstrapInput): RenderedUserData {
    const parts: UserDataPart[] = [];
    if (input.proxy) {
      parts.push(boothookPart(input.proxy, '/etc/dnf/dnf.conf', AL2023_UNITS, ['amazon-ssm-agent']));
    }
    if (input.proxy || input.cluster || input.kubelet) {
      parts.push({
        contentType: NODEADM_CONTENT_TYPE,
        body: renderNodeConfig({
          environment: input.proxy?.environment,
          cluster: input.cluster,
          kubelet: input.kubelet,
        }),
      });
    }
    if (input.signal) {
      parts.push(renderReadySignal(input.signal, ['nodeadm-run.service', 'kubelet.service']));
    }
    return { kind: 'mime', parts };
  },
};
