/**
 * Amazon Linux 2 nodes (`/etc/eks/bootstrap.sh`), for clusters still on Kubernetes 1.32 or older.
 *
 * EKS stopped publishing AL2 AMIs on 2025-11-26, and 1.32 is the last Kubernetes version that has
 * them (EKS user guide, "Build a custom Amazon Linux AMI"; awslabs/amazon-eks-ami issue #2545).
 * Prefer `NodeFamily.AMAZON_LINUX_2023`.
 *
 * User data: a `text/cloud-boothook` part (yum, /etc/environment, systemd drop-ins), for nodes that
 * join without the EKS API a `text/x-shellscript` part that calls bootstrap.sh with the cluster
 * details, and for self-managed nodes a part that signals CloudFormation when the node is Ready.
 *
 * Facts about bootstrap.sh are from awslabs/amazon-eks-ami `templates/al2/runtime/bootstrap.sh` at
 * commit 0ab842803d82 (the last one before AL2 was removed from the repository in b22890309b36,
 * "chore: remove AL2 support (#2645)").
 */
import { shellQuote } from '../../private/encoders';
import { caTrustBoothookPart } from './ca-bundle';
import { boothookPart, sourceEtcEnvironment } from './boothook';
import {
  compareVersions,
  ClusterBootstrap,
  KubeletRegistration,
  KubeletTokenCommand,
  NodeBootstrapInput,
  NodeFamilySpec,
  RenderedUserData,
  UserDataPart,
} from './family';
import { kubeletFlags } from './nodeadm';
import { readySignalParts, signalInputProblem } from './ready-signal';

/**
 * The systemd units of an AL2 EKS node that make outbound calls, each given the proxy drop-in.
 *
 * - `docker`: the container runtime up to Kubernetes 1.23 (bootstrap.sh: `DEFAULT_CONTAINER_RUNTIME=dockerd`
 *   below 1.24.0); the AMIs for 1.25+ do not install it (AMI release notes, e.g. v20230513). A drop-in
 *   for an absent unit is harmless: systemd only reads the directory if the unit ever exists.
 * - `containerd`, `kubelet`, `amazon-ssm-agent`: as on AL2023.
 * - `sandbox-image`: the AL2 oneshot unit that runs `aws ecr get-login-password` to pull the pause
 *   image (`templates/al2/runtime/sandbox-image.service`, `pull-sandbox-image.sh`); it reaches ECR's
 *   API directly unless it has the proxy.
 *
 * Only `amazon-ssm-agent` is restarted by the boothook. On the first boot bootstrap.sh (ours, or the
 * one EKS merges in for managed nodes) runs after the boothook: the AMI ships no
 * /etc/containerd/config.toml, so bootstrap.sh copies its own, runs `systemctl daemon-reload` and
 * restarts containerd (the docker branch restarts docker), then starts kubelet, which the AMI leaves
 * disabled. On later boots the drop-ins are already on disk when systemd starts the units.
 */
export const AL2_UNITS = ['docker', 'containerd', 'kubelet', 'sandbox-image', 'amazon-ssm-agent'];

/** The bootstrap script of the AL2 EKS AMIs. */
export const AL2_BOOTSTRAP = '/etc/eks/bootstrap.sh';

/**
 * The exec credential command of kubelet's kubeconfig on AL2 (`templates/al2/runtime/kubelet-kubeconfig`,
 * filled in by bootstrap.sh: `/usr/bin/aws-iam-authenticator token -i <name> --region <region>`).
 */
export const AL2_KUBELET_TOKEN: KubeletTokenCommand = (name, region) => [
  '/usr/bin/aws-iam-authenticator',
  'token',
  '-i',
  name,
  '--region',
  region,
];

export const AL2: NodeFamilySpec = {
  registryMirrors: false,
  name: 'AL2',

  // aws-cdk-lib aws-eks-v2 `NodegroupAmiType` (managed-nodegroup.d.ts): AL2_x86_64, AL2_x86_64_GPU, AL2_ARM_64.
  devices: { data: '/dev/xvda' },
  amiTypes: {
    x86_64: ['AL2_x86_64', 'AL2_x86_64_GPU'],
    arm64: ['AL2_ARM_64'],
  },

  // Public SSM parameters of the EKS-optimized AMIs (EKS user guide, "Retrieve recommended Amazon Linux
  // AMI IDs": `amazon-linux-2` for x86, `amazon-linux-2-arm64` for ARM); aws-cdk-lib aws-eks-v2
  // `EksOptimizedImage` builds the same names.
  // One accelerated AL2 AMI for NVIDIA, Inferentia and Trainium, x86 only: amazon-linux-2-gpu (EKS user
  // guide, "Retrieve recommended Amazon Linux AMI IDs"), AMI type AL2_x86_64_GPU.
  acceleratedAmiTypes: { nvidia: { x86_64: 'AL2_x86_64_GPU' }, neuron: { x86_64: 'AL2_x86_64_GPU' } },

  amiParameter: (version, arch, accelerator) => {
    if (accelerator === undefined) {
      return `/aws/service/eks/optimized-ami/${version}/${arch === 'arm64' ? 'amazon-linux-2-arm64' : 'amazon-linux-2'}/recommended/image_id`;
    }
    return accelerator !== 'amd' && arch === 'x86_64'
      ? `/aws/service/eks/optimized-ami/${version}/amazon-linux-2-gpu/recommended/image_id`
      : undefined;
  },

  // "Kubernetes version 1.32 is the last version for which Amazon EKS will release AL2 AMIs"
  // (EKS user guide, "Build a custom Amazon Linux AMI").
  versionProblem: (version) =>
    compareVersions(version, '1.32') > 0
      ? `AMAZON_LINUX_2 has no EKS AMI for Kubernetes ${version}: 1.32 is the last Kubernetes version with Amazon Linux 2 EKS AMIs`
      : undefined,

  // awslabs/amazon-eks-ami README and issue #2545: AL2 EKS AMIs reached end of support on 2025-11-26.
  warning: (version) =>
    'Amazon Linux 2 EKS AMIs reached end of support on 2025-11-26: they get no more updates or security patches, ' +
    `and none exist past Kubernetes 1.32, so this cluster (Kubernetes ${version}) cannot be upgraded past 1.32 while it has AL2 nodes. ` +
    'Move this node group to NodeFamily.AMAZON_LINUX_2023.',

  inputProblem: signalInputProblem,

  inputWarning: () => undefined,

  render(input: NodeBootstrapInput): RenderedUserData {
    const parts: UserDataPart[] = [];
    if (input.proxy) {
      if (input.proxy.caBundle !== undefined) {
        // Before the proxy boothook: the units it restarts then read the extended trust store.
        parts.push(caTrustBoothookPart(input.proxy.caBundle, ['amazon-ssm-agent']));
      }
      parts.push(boothookPart(input.proxy, '/etc/yum.conf', AL2_UNITS, ['amazon-ssm-agent']));
    }
    // Without cluster details (managed nodes on the EKS AMI) EKS merges its own bootstrap call into the
    // launch template's user data; ours must not start or modify kubelet (EKS user guide, "Customize
    // managed nodes with launch templates", "Amazon EC2 user data"). With a pinned AMI EKS merges nothing.
    if (input.cluster) {
      parts.push({
        contentType: 'text/x-shellscript; charset="us-ascii"',
        body: renderBootstrapScript(input.cluster, input.kubelet),
      });
    }
    // bootstrap.sh starts kubelet itself (`systemctl start kubelet`), before the signal part runs.
    parts.push(...readySignalParts(input, AL2_KUBELET_TOKEN, ['kubelet.service']));
    return { kind: 'mime', parts };
  },
};

/**
 * The script that joins the node without calling the EKS API. bootstrap.sh skips DescribeCluster when
 * both `--apiserver-endpoint` and `--b64-cluster-ca` are given; `--dns-cluster-ip` stops it guessing
 * the cluster DNS address from the VPC CIDR. Not passed:
 * - `--service-ipv4-cidr`: only exists from AMI release v20250610 (commit 6e67c1ca) and only derives the
 *   DNS address, which `--dns-cluster-ip` already gives.
 * - `--container-runtime`: deprecated; containerd is the default and the only choice from 1.24 on.
 *
 * Every value is single-quoted: CDK token markers (`${Token[...]}`) would be parameter expansions in
 * double quotes, and the resolved values (name, URL, base64, IP) have no quote to break out with.
 */
export function renderBootstrapScript(cluster: ClusterBootstrap, kubelet?: KubeletRegistration): string {
  const args = [
    shellQuote(cluster.name),
    `--apiserver-endpoint ${shellQuote(cluster.endpoint)}`,
    `--b64-cluster-ca ${shellQuote(cluster.certificateAuthority)}`,
    `--dns-cluster-ip ${shellQuote(cluster.dnsClusterIp)}`,
  ];
  const flags = kubeletFlags(kubelet);
  if (flags.length > 0) {
    // bootstrap.sh writes these into a kubelet drop-in (`Environment='KUBELET_EXTRA_ARGS=...'`), split on spaces.
    args.push(`--kubelet-extra-args ${shellQuote(flags.join(' '))}`);
  }
  return [
    '#!/bin/bash',
    '# cdk-private-eks: join the cluster without calling the EKS API (the AL2 AMI bootstrap script).',
    'set -euo pipefail',
    '# The proxy for the AWS calls bootstrap.sh makes (e.g. max-pods-calculator.sh); the values are validated',
    '# to hold no spaces, quotes or $.',
    ...sourceEtcEnvironment(),
    `${AL2_BOOTSTRAP} ${args.join(' \\\n  ')}`,
    '',
  ].join('\n');
}

export { shellQuote };
