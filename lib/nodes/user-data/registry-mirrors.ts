/**
 * Pure renderers of registry mirrors for Amazon Linux 2023 nodes: containerd pulls `docker.io/...` (and the
 * other cached registries) from the account's ECR pull through cache, so workloads keep their image names.
 * Text in, text out.
 *
 * Two pieces, written by a boothook part of their own (before nodeadm-run.service starts containerd and
 * kubelet: `After=cloud-final.service`, amazon-eks-ami templates/al2023/runtime/rootfs/etc/systemd/system/
 * nodeadm-run.service):
 *
 * 1. containerd's registry host configuration, one `hosts.toml` per registry under
 *    `/etc/containerd/certs.d/<registry>/` (the directory nodeadm's containerd configuration names:
 *    `config_path = "/etc/containerd/certs.d:/etc/docker/certs.d"`, amazon-eks-ami
 *    nodeadm/internal/containerd/config.template.toml). The mirror host is ECR with the rule's prefix as a
 *    path, `override_path = true`, pull and resolve only; the upstream stays the `server`, the fallback
 *    (containerd docs/hosts.md). containerd reads these files at each pull: no restart.
 * 2. ECR wants credentials, and the kubelet asks its ECR credential provider only for images whose name
 *    matches the provider's `matchImages`, which nodeadm writes for ECR hosts only
 *    (nodeadm/internal/kubelet/image-credential-provider.go). A second configuration, nodeadm's list plus
 *    the mirrored registries, is given to kubelet with `--image-credential-provider-config` in the NodeConfig
 *    (user flags come after nodeadm's and take precedence: nodeadm/internal/kubelet/environment.go). For an
 *    image that is not on an ECR host, the provider asks ECR in its default region for a token of the
 *    node's own registry (kubernetes/cloud-provider-aws cmd/ecr-credential-provider/main.go,
 *    `getPrivateCredsData`; from v1.29, see kubernetes/kops#16593), so the configuration gives it
 *    `AWS_REGION`; containerd's CRI plugin hands the kubelet's credentials to the mirror host.
 *
 * `public.ecr.aws` is not mirrored: the kubelet's provider answers it with an ECR Public token, which the
 * private registry refuses. Name such images with `PullThroughCache.imageUri`.
 */
import type { RegistryMirror, RegistryMirrors, UserDataPart } from './family';
import { shellQuote, tomlString } from '../../private/encoders';

/** containerd's registry host configuration directory on the EKS AMIs. */
export const HOSTS_DIR = '/etc/containerd/certs.d';

/** Our kubelet credential provider configuration (beside nodeadm's `config.json`, which stays untouched). */
export const CREDENTIAL_PROVIDER_CONFIG = '/etc/eks/image-credential-provider/cdk-private-eks-config.json';

/** The kubelet flag that selects it (the binary directory stays nodeadm's). */
export const CREDENTIAL_PROVIDER_FLAG = `--image-credential-provider-config=${CREDENTIAL_PROVIDER_CONFIG}`;

/**
 * The ECR hosts nodeadm's configuration matches (amazon-eks-ami nodeadm/internal/kubelet/
 * image-credential-provider.go, `generateImageCredentialProviderConfig`, at 81fec2e of 2026-07-23; nodeadm adds
 * `ecr-public.aws.com` from kubelet 1.32 and says matching it on older versions is harmless).
 */
export const NODEADM_ECR_MATCH_IMAGES = [
  '*.dkr.ecr.*.amazonaws.com',
  '*.dkr-ecr.*.on.aws',
  '*.dkr.ecr.*.amazonaws.com.cn',
  '*.dkr-ecr.*.on.amazonwebservices.com.cn',
  '*.dkr.ecr-fips.*.amazonaws.com',
  '*.dkr-ecr-fips.*.on.aws',
  '*.dkr.ecr.*.c2s.ic.gov',
  '*.dkr.ecr.*.sc2s.sgov.gov',
  '*.dkr.ecr.*.cloud.adc-e.uk',
  '*.dkr.ecr.*.csp.hci.ic.gov',
  '*.dkr.ecr.*.amazonaws.eu',
  'public.ecr.aws',
  'ecr-public.aws.com',
];

/** The first comment line of the mirrors boothook. */
export const MIRRORS_BOOTHOOK_MARKER = '# cdk-private-eks: registry mirrors on the ECR pull through cache.';

/** The here-document delimiter: no line of the files below can equal it. */
const EOF_MARK = 'CDK_PRIVATE_EKS_MIRROR';

/** containerd's `hosts.toml` for one mirrored registry. */
export function renderHostsToml(mirror: RegistryMirror): string {
  return [
    `server = ${tomlString(mirror.server)}`,
    '',
    `[host.${tomlString(mirror.endpoint)}]`,
    '  capabilities = ["pull", "resolve"]',
    '  override_path = true',
    '',
  ].join('\n');
}

/** The kubelet's credential provider configuration: nodeadm's, plus the mirrored registries and the region. */
export function renderCredentialProviderConfig(mirrors: RegistryMirrors): string {
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1',
    kind: 'CredentialProviderConfig',
    providers: [
      {
        name: 'ecr-credential-provider',
        matchImages: [...NODEADM_ECR_MATCH_IMAGES, ...mirrors.mirrors.map((m) => m.registry)],
        defaultCacheDuration: '12h0m0s',
        apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
        env: [{ name: 'AWS_REGION', value: mirrors.region }],
      },
    ],
  };
  return JSON.stringify(config, undefined, 2) + '\n';
}

/**
 * The boothook that writes the files. Idempotent (each file is replaced only when it differs), and
 * nothing runs: containerd reads `hosts.toml` at each pull, kubelet its configuration when it starts.
 */
export function renderMirrorsBoothook(mirrors: RegistryMirrors): string {
  const files: Array<[string, string]> = [
    ...mirrors.mirrors.map((m): [string, string] => [`${HOSTS_DIR}/${m.registry}/hosts.toml`, renderHostsToml(m)]),
    [CREDENTIAL_PROVIDER_CONFIG, renderCredentialProviderConfig(mirrors)],
  ];
  const lines = [
    '#!/bin/bash',
    MIRRORS_BOOTHOOK_MARKER,
    '# Runs on every boot (cloud-init boothook): each file is replaced only when it differs.',
    'set -euo pipefail',
    'umask 022',
    'put() {',
    '  local target="$1" tmp',
    '  tmp="$(mktemp)"',
    '  cat >"$tmp"',
    '  if [ -f "$target" ] && cmp -s "$tmp" "$target"; then',
    '    rm -f "$tmp"',
    '    return 0',
    '  fi',
    '  mkdir -p "$(dirname "$target")"',
    '  chmod 0644 "$tmp"',
    '  mv -f "$tmp" "$target"',
    '}',
  ];
  for (const [file, text] of files) {
    if (text.split('\n').includes(EOF_MARK)) {
      throw new Error(`${file} would contain the here-document delimiter`); // our renderers never write it
    }
    lines.push(`put ${shellQuote(file)} <<'${EOF_MARK}'`, text.replace(/\n$/, ''), EOF_MARK);
  }
  return lines.join('\n') + '\n';
}

/** The boothook part. */
export function mirrorsBoothookPart(mirrors: RegistryMirrors): UserDataPart {
  return { contentType: 'text/cloud-boothook; charset="us-ascii"', body: renderMirrorsBoothook(mirrors) };
}
