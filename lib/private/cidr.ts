/**
 * Pure IPv4 CIDR arithmetic for synth-time checks. No CDK imports; callers skip tokens.
 */

/** A parsed IPv4 CIDR. */
export interface Cidr {
  readonly network: number;
  readonly prefix: number;
  readonly text: string;
}

/** Parse `a.b.c.d/n`, or return undefined when it is not a valid IPv4 CIDR. */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) {
    return undefined;
  }
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) {
    return undefined;
  }
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  return { network: (address & mask(prefix)) >>> 0, prefix, text };
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** True when the host bits of the CIDR are zero (10.0.0.0/16, not 10.0.0.1/16). */
export function isNetworkAddress(text: string): boolean {
  const c = parseCidr(text);
  if (!c) {
    return false;
  }
  const [addr] = text.split('/');
  const o = addr.split('.').map(Number);
  return ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0 === c.network;
}

/** True when two CIDRs share at least one address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.network & mask(p)) >>> 0 === (b.network & mask(p)) >>> 0;
}

/** True when `inner` lies inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && overlaps(outer, inner);
}

const RFC1918 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((c) => parseCidr(c)!);

/**
 * What is wrong with a Kubernetes service CIDR for EKS, or undefined. EKS requires a block inside
 * 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, with a prefix from /12 to /24, not overlapping the VPC
 * (EKS API reference, KubernetesNetworkConfigRequest.serviceIpv4Cidr).
 */
export function serviceCidrProblem(text: string, vpcCidrs: string[]): string | undefined {
  const c = parseCidr(text);
  if (!c || !isNetworkAddress(text)) {
    return `'${text}' is not an IPv4 network in CIDR notation`;
  }
  if (c.prefix < 12 || c.prefix > 24) {
    return `'${text}' has a /${c.prefix} prefix; EKS accepts /12 to /24`;
  }
  if (!RFC1918.some((r) => contains(r, c))) {
    return `'${text}' is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`;
  }
  for (const v of vpcCidrs) {
    const vc = parseCidr(v);
    if (vc && overlaps(vc, c)) {
      return `'${text}' overlaps the VPC CIDR ${v}`;
    }
  }
  return undefined;
}

/**
 * The service CIDR EKS picks when none is given: 172.20.0.0/16 when the VPC is in 10.0.0.0/8, else
 * 10.100.0.0/16 (EKS user guide, "Create a cluster": "Kubernetes assigns addresses from either the
 * 10.100.0.0/16 or 172.20.0.0/16 CIDR blocks"; the knowledge-center proxy article shows the same two).
 * EKS looks at the primary block only; since the CIDR is pinned here, the other candidate is taken when
 * EKS's pick overlaps any VPC block (a secondary one, say), and undefined is returned when both do.
 */
export function defaultServiceCidr(vpcCidrs: string[]): string | undefined {
  const ten = RFC1918[0];
  const parsed = vpcCidrs.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const inTen = parsed.some((c) => overlaps(ten, c));
  const candidates = inTen ? ['172.20.0.0/16', '10.100.0.0/16'] : ['10.100.0.0/16', '172.20.0.0/16'];
  return candidates.find((candidate) => !parsed.some((c) => overlaps(parseCidr(candidate)!, c)));
}

/** The cluster DNS address EKS uses: the tenth address of the service CIDR (172.20.0.0/16 -> 172.20.0.10). */
export function clusterDnsIp(serviceCidr: string): string | undefined {
  return nthAddress(serviceCidr, 10);
}

/** The `kubernetes` service address: the first address of the service CIDR (172.20.0.0/16 -> 172.20.0.1). */
export function kubernetesServiceIp(serviceCidr: string): string | undefined {
  return nthAddress(serviceCidr, 1);
}

function nthAddress(cidr: string, n: number): string | undefined {
  const c = parseCidr(cidr);
  if (!c) {
    return undefined;
  }
  const ip = c.network + n;
  return [24, 16, 8, 0].map((shift) => (ip >>> shift) & 0xff).join('.');
}
