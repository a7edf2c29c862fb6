import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { invalid } from './validation';

/**
 * The VPC's IPv4 CIDR blocks, as concrete strings where the construct knows them: the primary block (the
 * CIDR given to `CfnVPC` for a VPC built in this app; for an imported VPC whatever `vpcCidrBlock` is,
 * concrete from a lookup, a token from `fromVpcAttributes` with tokens), and every secondary
 * `CfnVPCCidrBlock` of the VPC's stack whose `VpcId` is this VPC's, wherever in the stack it is declared.
 * A construct reads them when it is built; `checkVpcCidrsAtSynth` then catches blocks declared later.
 * A block allocated from an IPAM pool has no CIDR to read at synth time (CloudFormation returns none) and
 * is not listed: `checkVpcCidrsAtSynth` warns about it.
 */
export function vpcCidrs(vpc: ec2.IVpc): string[] {
  const primary =
    vpc instanceof ec2.Vpc ? ((vpc.node.defaultChild as ec2.CfnVPC).cidrBlock ?? vpc.vpcCidrBlock) : vpc.vpcCidrBlock;
  const secondary = secondaryBlocks(vpc)
    .map((c) => c.cidrBlock)
    .filter((c): c is string => c !== undefined);
  return [primary, ...secondary];
}

/** The secondary IPv4 `CfnVPCCidrBlock`s of the VPC's stack that belong to this VPC. */
function secondaryBlocks(vpc: ec2.IVpc): ec2.CfnVPCCidrBlock[] {
  const stack = Stack.of(vpc);
  const vpcId = JSON.stringify(stack.resolve(vpc.vpcId));
  return stack.node
    .findAll()
    .filter((c): c is ec2.CfnVPCCidrBlock => c instanceof ec2.CfnVPCCidrBlock)
    .filter((c) => c.cidrBlock !== undefined || c.ipv4IpamPoolId !== undefined)
    .filter((c) => JSON.stringify(stack.resolve(c.vpcId)) === vpcId);
}

/**
 * At synth time (after the whole app is built), check the VPC's IPv4 blocks against the ones `scope` read
 * when it was built (`used`, from `vpcCidrs`): a secondary block declared after `scope` is an error (what
 * `scope` derived from the blocks, such as NO_PROXY, the default service CIDR or a security group rule,
 * would miss it), and a block allocated from an IPAM pool, whose CIDR is known only at deploy time, gets a
 * warning saying what misses it.
 *
 * @param what what `scope` derived from the blocks, for the messages (e.g. `NO_PROXY and the service CIDR`)
 */
export function checkVpcCidrsAtSynth(scope: IConstruct, vpc: ec2.IVpc, used: string[], what: string): void {
  const stack = Stack.of(scope);
  const known = new Set(used.map((c) => JSON.stringify(stack.resolve(c))));
  scope.node.addValidation({
    validate: () => {
      const late = vpcCidrs(vpc).filter((c) => !known.has(JSON.stringify(stack.resolve(c))));
      if (late.length > 0) {
        invalid(
          scope,
          'vpc',
          `has CIDR blocks declared after this construct (${late.join(', ')}), so ${what} do not include them`,
          'Declare the CfnVPCCidrBlock resources before this construct (they are read when it is built)',
        );
      }
      for (const block of secondaryBlocks(vpc).filter((b) => b.cidrBlock === undefined)) {
        Annotations.of(scope).addWarningV2(
          'cdk-private-eks:vpc-cidr-from-ipam',
          `The VPC CIDR block ${block.node.path} is allocated from an IPAM pool, so its CIDR is unknown at synth time and ${what} do not include it. ` +
            'Give the block a cidrBlock, or add its range where it is needed (ProxySettings noProxy, allowedCidrs).',
        );
      }
      return [];
    },
  });
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
