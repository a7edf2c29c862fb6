/**
 * The checks of `EgressProxy`'s props, each returning what the construct uses: port, capacity, subnets,
 * client networks and the allowlist (normalised by allowlist.ts). Errors name the construct and prop.
 */
import { Annotations, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { IConstruct } from 'constructs';
import { invalid } from '../errors';
import { parseCidr } from '../private/cidr';
import { regionAndSuffix } from '../private/partition';
import { matchesIpv6AddressOrCidr } from '../private/proxy-grammar';
import { isPort } from '../private/proxy-url';
import { hasPrivateSubnets, privateSubnetSelection } from '../private/vpc';
import { deployTimeOrigin } from '../private/deploy-time';
import { defaultEgressDomains, domainCovers, domainProblem, normaliseDomain, normaliseDomains } from './allowlist';

/** The proxy port: a literal 1-65535 (it is written into squid.conf and the security groups). */
export function checkPort(scope: IConstruct, port: number): number {
  if (Token.isUnresolved(port) || !isPort(port)) {
    invalid(
      scope,
      'port',
      `is ${Token.isUnresolved(port) ? 'a token' : port}`,
      'Give a literal port from 1 to 65535 (it is written into squid.conf and the security groups), for example 3128',
    );
  }
  return port;
}

/** Minimum and maximum numbers of proxies: at least two, max not below min. */
export function checkCapacity(
  scope: IConstruct,
  min: number,
  maxGiven: number | undefined,
): { min: number; max: number } {
  if (!Token.isUnresolved(min) && min < 2) {
    invalid(
      scope,
      'minCapacity',
      `is ${min}: a single proxy is a single point of failure for every node and the kubectl provider`,
      'Use 2 or more, so that a proxy in another Availability Zone keeps serving',
    );
  }
  const max = maxGiven ?? min;
  if (!Token.isUnresolved(max) && !Token.isUnresolved(min) && max < min) {
    invalid(
      scope,
      'maxCapacity',
      `(${max}) is smaller than minCapacity (${min})`,
      'Raise maxCapacity or lower minCapacity',
    );
  }
  return { min, max };
}

/** The proxies' subnets (public by default): a way to the internet, in two or more Availability Zones. */
export function selectProxySubnets(
  scope: IConstruct,
  vpc: ec2.IVpc,
  given: ec2.SubnetSelection | undefined,
): { selection: ec2.SubnetSelection; public: boolean } {
  if (vpc.publicSubnets.length === 0 && vpc.privateSubnets.length === 0 && given?.subnets === undefined) {
    invalid(
      scope,
      'proxySubnets',
      'cannot be chosen: the VPC has no subnet with a way to the internet (no public subnet, no private subnet with egress)',
      'Add PUBLIC subnets (with an internet gateway) to the VPC, or PRIVATE_WITH_EGRESS subnets behind a NAT gateway',
    );
  }
  if (!given && vpc.publicSubnets.length === 0) {
    invalid(
      scope,
      'proxySubnets',
      'is not set and the VPC has no public subnets',
      'Add PUBLIC subnets to the VPC, or set proxySubnets to its PRIVATE_WITH_EGRESS subnets',
    );
  }
  const selection = given ?? { subnetType: ec2.SubnetType.PUBLIC };
  const selected = vpc.selectSubnets(selection);
  const ids = (subnets: ec2.ISubnet[]) => new Set(subnets.map((s) => s.subnetId));
  const isolated = ids(vpc.isolatedSubnets);
  const noWayOut = selected.subnets.filter((s) => isolated.has(s.subnetId));
  if (noWayOut.length > 0) {
    invalid(
      scope,
      'proxySubnets',
      'include isolated subnets, which have no route to the internet',
      'Choose PUBLIC subnets, or PRIVATE_WITH_EGRESS subnets behind a NAT gateway',
    );
  }
  const zones = new Set(selected.subnets.map((s) => s.availabilityZone));
  if (zones.size < 2) {
    invalid(
      scope,
      'proxySubnets',
      `span ${zones.size} Availability Zone${zones.size === 1 ? '' : 's'}: one zone is a single point of failure`,
      'Give subnets in at least two Availability Zones',
    );
  }
  const publicIds = ids(vpc.publicSubnets);
  return { selection, public: selected.subnets.every((s) => publicIds.has(s.subnetId)) };
}

/** The internal load balancer's subnets, one per Availability Zone (the nodes' private subnets by default). */
export function selectLoadBalancerSubnets(
  scope: IConstruct,
  vpc: ec2.IVpc,
  given: ec2.SubnetSelection | undefined,
): ec2.SubnetSelection {
  if (!given && !hasPrivateSubnets(vpc)) {
    invalid(
      scope,
      'loadBalancerSubnets',
      'is not set and the VPC has no private or isolated subnets',
      'Give the subnets of the nodes, where the internal load balancer should be',
    );
  }
  // A load balancer takes one subnet per Availability Zone.
  const selection: ec2.SubnetSelection = { ...(given ?? privateSubnetSelection(vpc)), onePerAz: true };
  const zones = new Set(vpc.selectSubnets(selection).subnets.map((s) => s.availabilityZone));
  if (zones.size < 2) {
    Annotations.of(scope).addWarningV2(
      'cdk-private-eks:egressProxySingleZoneLoadBalancer',
      `The egress proxy's load balancer is in ${zones.size} Availability Zone: clients in other zones lose the proxy when it fails. Give loadBalancerSubnets in two or more zones.`,
    );
  }
  return selection;
}

/** The client networks: CIDR blocks, none of them open to every address. */
export function checkCidrs(scope: IConstruct, cidrs: string[]): string[] {
  if (cidrs.length === 0) {
    invalid(
      scope,
      'allowedCidrs',
      'is empty, so no client could use the proxy',
      'Give the client networks, for example the VPC CIDR',
    );
  }
  cidrs.forEach((cidr, i) => {
    if (Token.isUnresolved(cidr)) {
      refuseDeployTimeInput(scope, `allowedCidrs[${i}]`, cidr);
      return;
    }
    if (!parseCidr(cidr) && !(cidr.includes('/') && matchesIpv6AddressOrCidr(cidr))) {
      invalid(
        scope,
        `allowedCidrs[${i}]`,
        `'${cidr}' is not a CIDR block`,
        'Write it as a.b.c.d/n (or an IPv6 prefix), for example 10.0.0.0/16',
      );
    }
    if (cidr.endsWith('/0')) {
      invalid(
        scope,
        `allowedCidrs[${i}]`,
        `'${cidr}' opens the proxy to every address`,
        'Give the client networks, for example the VPC CIDR',
      );
    }
  });
  return [...cidrs];
}

/**
 * Refuse a value chosen at deploy time (a parameter, an import, a dynamic reference: lib/private/deploy-time.ts)
 * for the proxy instances: it would go into squid.conf, written by their user data script, where nothing
 * checks it before Squid (and the shell) read it. AWS-produced tokens (the VPC's CIDR, the region) pass.
 */
function refuseDeployTimeInput(scope: IConstruct, prop: string, value: string): void {
  if (Token.isUnresolved(value) && deployTimeOrigin(scope, value) === 'input') {
    invalid(
      scope,
      prop,
      "is chosen at deploy time (a parameter, an import or a dynamic reference), and would be written unchecked into squid.conf by the proxy instances' user data",
      'Give it as a literal value, or an attribute of a resource of this stack (for example vpc.vpcCidrBlock)',
    );
  }
}

/** The allowlist: the user's entries checked, the defaults of the stack's region added, all normalised. */
export function composeDomains(scope: IConstruct, user: string[], includeDefaults: boolean): string[] {
  user.forEach((d, i) => {
    refuseDeployTimeInput(scope, `allowedDomains[${i}]`, d);
    const problem = domainProblem(d);
    if (problem) {
      invalid(
        scope,
        `allowedDomains[${i}]`,
        problem,
        'Give DNS names, for example registry-1.docker.io for one host or .docker.io for a domain and its subdomains',
      );
    }
  });
  const { region, urlSuffix } = regionAndSuffix(scope);
  const defaults = includeDefaults ? defaultEgressDomains(region, urlSuffix) : [];
  const all = [...defaults, ...user];
  if (all.length === 0) {
    invalid(
      scope,
      'allowedDomains',
      'is empty and includeDefaultDomains is false, so the proxy would refuse every request',
      'List the domains the cluster needs, or keep the defaults',
    );
  }
  if (includeDefaults && Token.isUnresolved(region)) {
    warnTokenOverlaps(scope, user.map(normaliseDomain));
  }
  return normaliseDomains(all);
}

/**
 * In an env-agnostic stack the default AWS names contain the region token, so an entry that overlaps
 * one of them once resolved (e.g. `s3.us-east-1.amazonaws.com` beside `.s3.REGION...`) cannot be
 * merged at synth time, and Squid may refuse the list. Check against every region aws-cdk-lib knows.
 */
export function warnTokenOverlaps(scope: IConstruct, user: string[]): void {
  const overlapping = new Set<string>();
  for (const info of RegionInfo.regions) {
    if (!info.domainSuffix) {
      continue;
    }
    const defaults = defaultEgressDomains(info.name, info.domainSuffix);
    user
      .filter((u) => !u.includes('${Token['))
      .forEach((u) => {
        if (defaults.some((d) => d === u || domainCovers(d, u) || domainCovers(u, d))) {
          overlapping.add(u);
        }
      });
  }
  if (overlapping.size > 0) {
    Annotations.of(scope).addWarningV2(
      'cdk-private-eks:egressDomainOverlap',
      `allowedDomains ${[...overlapping].join(', ')} overlap the default AWS domains once the region is known; in an env-agnostic stack ` +
        'they cannot be merged at synth time, and Squid refuses a list with both x and .x. Give the stack a region, or drop these entries ' +
        '(or set includeDefaultDomains: false and list every domain).',
    );
  }
}

/** Private destinations to allow: IPv4 or IPv6 addresses or CIDRs (tokens pass). */
export function checkPrivateDestinations(scope: IConstruct, destinations: string[]): string[] {
  destinations.forEach((d, i) => {
    if (Token.isUnresolved(d)) {
      refuseDeployTimeInput(scope, `allowedPrivateDestinations[${i}]`, d);
      return;
    }
    const ipv4 =
      /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(d) && parseCidr(d.includes('/') ? d : `${d}/32`) !== undefined;
    const ipv6 = matchesIpv6AddressOrCidr(d);
    if (!ipv4 && !ipv6) {
      invalid(
        scope,
        `allowedPrivateDestinations[${i}]`,
        `'${d}' is not an IP address or CIDR`,
        'Give addresses or networks, for example 10.20.0.0/16',
      );
    }
    if (/\/0$/.test(d)) {
      invalid(
        scope,
        `allowedPrivateDestinations[${i}]`,
        `'${d}' allows every address`,
        'Give the private networks the proxy must reach, for example 10.20.0.0/16',
      );
    }
  });
  return destinations;
}
