/** An EgressProxy in a test stack, and its user data as text (shared by the unit and real-client tests). */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { EgressProxy, EgressProxyProps } from '../../lib';
import { testStack } from './cdk';

/** A VPC for an egress proxy: public subnets for the proxies, isolated ones for the nodes, two AZs. */
export function egressVpc(stack: Stack, props: Partial<ec2.VpcProps> = {}): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
    maxAzs: 2,
    natGateways: 0,
    flowLogs: {
      all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(), trafficType: ec2.FlowLogTrafficType.ALL },
    },
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 26 },
      { name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
    ],
    ...props,
  });
}

export function egressOnly(props: Partial<EgressProxyProps> = {}, region?: string) {
  const stack = testStack(region);
  const vpc = egressVpc(stack);
  const proxy = new EgressProxy(stack, 'Egress', { vpc, ...props });
  return { stack, vpc, proxy };
}

/** The rendered user data of a launch template, with CloudFormation references shown as <Ref>. */
export function userDataText(stack: Stack, lt: any, refs: Record<string, string> = {}): string {
  const ud = stack.resolve(lt.Properties.LaunchTemplateData.UserData)['Fn::Base64'];
  const parts = typeof ud === 'string' ? [ud] : ud['Fn::Join'][1];
  return parts
    .map((p: any) => {
      if (typeof p === 'string') {
        return p;
      }
      const key = p.Ref ?? (p['Fn::GetAtt'] ? p['Fn::GetAtt'].join('.') : JSON.stringify(p));
      return refs[key] ?? `<${key}>`;
    })
    .join('');
}
