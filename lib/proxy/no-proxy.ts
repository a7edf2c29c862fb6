/**
 * Pure NO_PROXY composition. Text in, list out; values may be CDK token markers (an imported VPC's
 * CIDR, `AWS::Region`, `AWS::URLSuffix`): they are kept verbatim and resolve at deploy time.
 *
 * Why each entry is there:
 * - Go's net/http (kubelet, containerd, aws-node, kube-proxy, nodeadm) matches a CIDR only against a
 *   literal IP in the URL, never against a resolved host name, so every AWS host reached through a VPC
 *   endpoint is listed by name as well as the VPC CIDR.
 * - Python's urllib ignores CIDR entries entirely; names are what all three clients agree on.
 * - An entry without a leading dot (`ec2.us-east-1.amazonaws.com`) matches the host and its
 *   subdomains in Go, curl and Python alike, so that form is used for AWS hosts; a leading dot
 *   (`.internal`) is used only where the bare domain is never a host.
 */

/** Addresses that must never go through a proxy, on any node, in any region. */
export const ALWAYS_DIRECT: readonly string[] = [
  'localhost',
  '127.0.0.1',
  // EC2 instance metadata service, IPv4 and IPv6 (Nitro).
  '169.254.169.254',
  'fd00:ec2::254',
  // EKS Pod Identity agent, IPv4 and IPv6 (listens on the node's link-local addresses).
  '169.254.170.23',
  'fd00:ec2::23',
  // Python's urllib compares the bracketed URL host ([fd00:ec2::254]) with the text of each entry, so
  // the IPv6 addresses are listed bracketed too; Go and curl ignore these forms (real-client suite).
  '[fd00:ec2::254]',
  '[fd00:ec2::23]',
];

/** Input for `composeNoProxy`. */
export interface NoProxyInput {
  /** The region, e.g. `us-east-1` or a token. */
  readonly region: string;
  /** The partition's DNS suffix: `amazonaws.com`, `amazonaws.com.cn`, or a token. */
  readonly urlSuffix: string;
  /** The VPC's IPv4 CIDR blocks. */
  readonly vpcCidrs: string[];
  /** The cluster's Kubernetes service CIDR. */
  readonly serviceCidr?: string;
  /**
   * Single addresses inside the CIDRs that clients reach by IP: the `kubernetes` service (what
   * KUBERNETES_SERVICE_HOST holds) and the cluster DNS. Python matches NO_PROXY only against names
   * and exact addresses, never CIDRs.
   */
  readonly addresses?: string[];
  /** The AWS host names served by VPC endpoints (see `EndpointSet.noProxyHosts`). */
  readonly endpointHosts: string[];
  /** The user's own entries, last. */
  readonly extra: string[];
}

/**
 * The complete NO_PROXY list for a private cluster, deduplicated (case-insensitively), in a stable
 * order: fixed local addresses, VPC and service CIDRs, cluster-internal domains, the EKS API server
 * domain, endpoint hosts, then the user's entries.
 */
export function composeNoProxy(input: NoProxyInput): string[] {
  const candidates = [
    ...ALWAYS_DIRECT,
    ...input.vpcCidrs,
    ...(input.serviceCidr ? [input.serviceCidr] : []),
    ...(input.addresses ?? []),
    // EC2 private DNS names (ip-10-0-1-2.ec2.internal, *.compute.internal) and the node's own name.
    '.internal',
    // In-cluster service names, for pods that read the proxy ConfigMap.
    '.svc',
    '.cluster.local',
    // The cluster's API server (<id>.<cell>.<region>.eks.<suffix>), private when the endpoint is.
    `.${input.region}.eks.${input.urlSuffix}`,
    ...input.endpointHosts,
    ...input.extra,
  ];
  return dedupe(candidates);
}

/** Remove repeated entries (case-insensitive), keeping the first occurrence. */
export function dedupe(entries: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const entry of entries) {
    const key = entry.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(entry);
    }
  }
  return out;
}
