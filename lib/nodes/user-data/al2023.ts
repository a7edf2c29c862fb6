/**
 * Amazon Linux 2023 nodes (nodeadm): the default family.
 *
 * User data: a `text/cloud-boothook` part (dnf, /etc/environment, systemd drop-ins), a nodeadm
 * `NodeConfig` part (proxy for nodeadm itself; cluster details and kubelet flags when the node joins
 * without the EKS API), and for self-managed nodes a part that signals CloudFormation when the node is
 * Ready in the cluster.
 */
import { caTrustBoothookPart } from './ca-bundle';
import { boothookPart } from './boothook';
import {
  compareVersions,
  KubeletTokenCommand,
  NodeBootstrapInput,
  NodeFamilySpec,
  RenderedUserData,
  UserDataPart,
} from './family';
import { NODEADM_CONTENT_TYPE, renderNodeConfig } from './nodeadm';
import { readySignalParts, signalInputProblem } from './ready-signal';
import { CREDENTIAL_PROVIDER_FLAG, mirrorsBoothookPart } from './registry-mirrors';

/** The systemd units of an AL2023 EKS node that make outbound calls. */
export const AL2023_UNITS = ['containerd', 'kubelet', 'amazon-ssm-agent'];

/**
 * The exec credential command of kubelet's kubeconfig written by nodeadm (amazon-eks-ami
 * `nodeadm/internal/kubelet/kubeconfig.template.yaml`: `aws eks get-token --cluster-name <name> --region
 * <region>`, the instance's region).
 */
export const AL2023_KUBELET_TOKEN: KubeletTokenCommand = (name, region) => [
  'aws',
  'eks',
  'get-token',
  '--cluster-name',
  name,
  '--region',
  region,
];

export const AL2023: NodeFamilySpec = {
  name: 'AL2023',
  registryMirrors: true,
  devices: { data: '/dev/xvda' },
  amiTypes: {
    x86_64: ['AL2023_x86_64_STANDARD', 'AL2023_x86_64_NVIDIA', 'AL2023_x86_64_NEURON'],
    arm64: ['AL2023_ARM_64_STANDARD', 'AL2023_ARM_64_NVIDIA'],
  },

  // EKS user guide, "Retrieve recommended Amazon Linux AMI IDs": amazon-linux-2023/x86_64/nvidia and
  // arm64/nvidia for NVIDIA instances, x86_64/neuron for AWS Neuron (Inferentia, Trainium) instances; the
  // matching managed node group AMI types are aws-eks-v2's (and CloudFormation's) AL2023_*_NVIDIA and
  // AL2023_x86_64_NEURON.
  acceleratedAmiTypes: {
    nvidia: { x86_64: 'AL2023_x86_64_NVIDIA', arm64: 'AL2023_ARM_64_NVIDIA' },
    neuron: { x86_64: 'AL2023_x86_64_NEURON' },
  },

  // Public SSM parameters of the EKS-optimized AMIs (same page).
  amiParameter: (version, arch, accelerator) => {
    const variant = accelerator === undefined ? 'standard' : accelerator;
    if (accelerator === 'amd' || (accelerator === 'neuron' && arch !== 'x86_64')) {
      return undefined;
    }
    return `/aws/service/eks/optimized-ami/${version}/amazon-linux-2023/${arch}/${variant}/recommended/image_id`;
  },

  // EKS publishes AL2023 AMIs from Kubernetes 1.23 on.
  versionProblem: (version) =>
    compareVersions(version, '1.23') < 0
      ? `Kubernetes ${version} has no Amazon Linux 2023 EKS AMI (they start at 1.23)`
      : undefined,

  warning: () => undefined,

  inputProblem: signalInputProblem,

  inputWarning: (input) => {
    const inputs = input.proxy?.deployTimeInputs ?? [];
    return inputs.length === 0
      ? undefined
      : `${inputs.join(', ')} ${inputs.length === 1 ? 'is' : 'are'} chosen at deploy time (a parameter, an import or a dynamic reference), ` +
          "which YAML cannot check, so the proxy is left out of the nodeadm NodeConfig's spec.instance.environment. " +
          'The boothook checks the values at boot and gives them to containerd, kubelet, the SSM agent and dnf, but ' +
          'nodeadm-config.service runs before cloud-init (amazon-eks-ami templates/al2023/runtime/rootfs/etc/systemd/system/nodeadm-config.service: Before=cloud-init.service) ' +
          'and makes its EC2 calls without the proxy: the VPC needs an EC2 interface endpoint (EndpointService.EC2, in EndpointPresets.minimal()). ' +
          'Give the proxy as a literal URL or with ProxySettings.fromHost(resource attribute, port) to keep it in the NodeConfig.';
  },

  render(input: NodeBootstrapInput): RenderedUserData {
    const parts: UserDataPart[] = [];
    if (input.proxy) {
      if (input.proxy.caBundle !== undefined) {
        // Before the proxy boothook: the units it restarts then read the extended trust store.
        parts.push(caTrustBoothookPart(input.proxy.caBundle, ['amazon-ssm-agent']));
      }
      parts.push(boothookPart(input.proxy, '/etc/dnf/dnf.conf', AL2023_UNITS, ['amazon-ssm-agent']));
    }
    const mirrors = input.registryMirrors !== undefined && input.registryMirrors.mirrors.length > 0;
    if (mirrors) {
      parts.push(mirrorsBoothookPart(input.registryMirrors!));
    }
    const nodeConfigEnvironment = (input.proxy?.deployTimeInputs ?? []).length === 0 && input.proxy !== undefined;
    if (nodeConfigEnvironment || input.cluster || input.kubelet || mirrors) {
      parts.push({
        contentType: NODEADM_CONTENT_TYPE,
        body: renderNodeConfig({
          // YAML cannot check a value chosen at deploy time: such a proxy is left to the boothook (see inputWarning).
          environment: nodeConfigEnvironment && input.proxy ? upperCaseOnly(input.proxy.environment) : undefined,
          cluster: input.cluster,
          kubelet: input.kubelet,
          extraKubeletFlags: mirrors ? [CREDENTIAL_PROVIDER_FLAG] : [],
        }),
      });
    }
    parts.push(...readySignalParts(input, AL2023_KUBELET_TOKEN, ['nodeadm-run.service', 'kubelet.service']));
    return { kind: 'mime', parts };
  },
};

/**
 * The upper-case proxy variables only, for the NodeConfig: nodeadm is Go, whose proxy resolution reads
 * HTTP_PROXY, HTTPS_PROXY and NO_PROXY before their lower-case forms (golang.org/x/net/http/httpproxy
 * `FromEnvironment`), and containerd, kubelet and the SSM agent get both cases from the boothook's drop-ins.
 * The lower-case twins would only add about 650 bytes to user data limited to 16 KB.
 */
function upperCaseOnly(environment: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).filter(([k]) => k === k.toUpperCase()));
}
