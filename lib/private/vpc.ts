import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { invalid } from './validation';

/**
 * The VPC's IPv4 CIDR blocks, as concrete strings where the construct knows them: the primary block (the
 * CIDR given to `CfnVPC` for a VPC built in this app; for an imported VPC whatever `vpcCidrBlock` is,
 * concrete from a lookup, a token from `fromVpcAttributes` with tokens), and every secondary
 * `CfnVPCCidrBlock` of the VPC's stack whose `VpcId` is this VPC's, wherever in the stack it is declared
 * (declared before the cluster: the cluster reads them when it is built). A block allocated from an IPAM
 * pool has no CIDR to read at synth time (CloudFormation returns none) and is not listed.
 */
export function vpcCidrs(vpc: ec2.IVpc): string[] {
  const primary =
    vpc instanceof ec2.Vpc ? ((vpc.node.defaultChild as ec2.CfnVPC).cidrBlock ?? vpc.vpcCidrBlock) : vpc.vpcCidrBlock;
  const stack = Stack.of(vpc);
  const vpcId = JSON.stringify(stack.resolve(vpc.vpcId));
  const secondary = stack.node
    .findAll()
    .filter((c): c is ec2.CfnVPCCidrBlock => c instanceof ec2.CfnVPCCidrBlock)
    .filter((c) => JSON.stringify(stack.resolve(c.vpcId)) === vpcId)
    .map((c) => c.cidrBlock)
    .filter((c): c is string => c !== undefined);
  return [primary, ...secondary];
}

/**
 * Private DNS of interface endpoints and of the EKS private API endpoint needs both DNS support and
 * DNS host names in the VPC. An imported VPC cannot be checked at synth time: say so.
 */
export function checkVpcDns(scope: IConstruct, vpc: ec2.IVpc): void {
  if (vpc instanceof ec2.Vpc) {
    if (!vpc.dnsSupportEnabled) {
      invalid(
        scope,
        'vpc',
        'has DNS support disabled, so nodes cannot resolve the private API endpoint or VPC endpoint names',
        'Create the VPC with enableDnsSupport: true',
      );
    }
    if (!vpc.dnsHostnamesEnabled) {
      invalid(
        scope,
        'vpc',
        'has DNS host names disabled, which private DNS of VPC endpoints and of the EKS private endpoint require',
        'Create the VPC with enableDnsHostnames: true',
      );
    }
    return;
  }
  Annotations.of(scope).addInfo(
    "cdk-private-eks: the imported VPC's DNS settings cannot be checked at synth time; enableDnsSupport and enableDnsHostnames must both be true",
  );
}

/** The subnets nodes and endpoints go in: private with egress (to a proxy or NAT) first, else isolated. */
export function privateSubnetSelection(vpc: ec2.IVpc): ec2.SubnetSelection {
  if (vpc.privateSubnets.length > 0) {
    return { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  }
  return { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
}

/** True when the VPC has private (with egress) or isolated subnets. */
export function hasPrivateSubnets(vpc: ec2.IVpc): boolean {
  return vpc.privateSubnets.length > 0 || vpc.isolatedSubnets.length > 0;
}

/** Fail when the VPC has no private or isolated subnets. */
export function requirePrivateSubnets(scope: IConstruct, vpc: ec2.IVpc): void {
  if (!hasPrivateSubnets(vpc)) {
    invalid(
      scope,
      'vpc',
      'has no private or isolated subnets, so the cluster cannot be private',
      'Add PRIVATE_WITH_EGRESS or PRIVATE_ISOLATED subnets to the VPC (or import them with fromVpcAttributes privateSubnetIds)',
    );
  }
}

/**
 * Fail when a subnet selection selects no subnet, or (with `minAzs`) subnets in fewer Availability Zones
 * than that, when the zones are known at synth time. EKS requires the cluster's subnets in at least two
 * AZs (EKS user guide, "View Amazon EKS networking requirements for VPC and subnets").
 */
export function checkSubnetSelection(
  scope: IConstruct,
  prop: string,
  vpc: ec2.IVpc,
  selection: ec2.SubnetSelection,
  minAzs = 1,
): void {
  const selected = vpc.selectSubnets(selection);
  if (selected.subnets.length === 0) {
    invalid(
      scope,
      prop,
      'selects no subnet of the VPC',
      'Select the private subnets the nodes run in, or leave it out',
    );
  }
  const azs = selected.subnets.map((s) => s.availabilityZone);
  if (azs.every((az) => isConcrete(az)) && new Set(azs).size < minAzs) {
    invalid(
      scope,
      prop,
      `selects subnets in ${new Set(azs).size} Availability Zone (${[...new Set(azs)].join(', ')})`,
      `EKS needs the cluster's subnets in at least ${minAzs} Availability Zones: select subnets in more zones`,
    );
  }
}

/** True when a string is a concrete value (not a token). */
export function isConcrete(s: string | undefined): s is string {
  return s !== undefined && !Token.isUnresolved(s);
}
