/**
 * What the example apps' VPCs share: flow logs, the isolated VPC, the acknowledgement on the public subnets
 * where a proxy runs, and the commercial-partition acknowledgement of env-agnostic examples. Each acknowledges cdk-nag findings on resources of the example, not of the library.
 */
import { Annotations, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/**
 * Add the VPC's flow log `all`: every packet decision, to a CloudWatch Logs group aws-cdk-lib creates, so a
 * private network is audited (cdk-nag AwsSolutions-VPC7).
 */
export function addFlowLogs(vpc: ec2.Vpc): ec2.FlowLog {
  const flowLog = vpc.addFlowLog('all', {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(),
    trafficType: ec2.FlowLogTrafficType.ALL,
  });
  Validations.of(flowLog).acknowledge(
    {
      id: 'NIST.800.53.R5-CloudWatchLogGroupEncrypted',
      reason:
        'CloudWatch Logs encrypts every log group at rest with keys it manages (CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS KMS"); ' +
        'the examples add no customer key (1 USD a month each). Where your policy asks for one, pass a logs.LogGroup with encryptionKey to toCloudWatchLogs, its key policy allowing logs.<region>.amazonaws.com',
    },
    {
      id: 'NIST.800.53.R5-IAMNoInlinePolicy',
      reason:
        'aws-cdk-lib\'s FlowLog creates this role for the one flow log and lets it write to its one log group through the role\'s default policy: one-to-one, not attachable to another identity (IAM user guide, "Choosing between managed policies and inline policies")',
    },
  );
  return flowLog;
}

/**
 * Acknowledge the route to the internet gateway of the public subnets that hold a proxy: it is the way out
 * of the VPC, so its subnets route 0.0.0.0/0 there; the nodes' subnets have no such route.
 */
export function acknowledgeProxySubnetRoutes(vpc: ec2.Vpc): void {
  for (const subnet of vpc.publicSubnets) {
    Validations.of(subnet).acknowledge({
      id: 'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
      reason:
        "A proxy's subnet: the proxy is the way out, so it routes to the internet gateway; the nodes' subnets have no such route",
    });
  }
}

/**
 * The examples' VPC without a way out: two AZs of isolated subnets (no NAT, no internet gateway), 10.0.0.0/16,
 * the default security group closed (EKS best practices; cdk-nag NIST.800.53.R5-VPCDefaultSecurityGroupClosed),
 * flow logs on. The proxy, when there is one, is reached through the corporate network outside the stack.
 */
export function isolatedExampleVpc(scope: Construct): ec2.Vpc {
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    restrictDefaultSecurityGroup: true,
    ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
  });
  addFlowLogs(vpc);
  return vpc;
}

/**
 * An env-agnostic example is meant for the commercial partition, whose endpoint service names the library
 * uses when the region is a token: acknowledge the warning about it. For the China regions, set env.region
 * instead (see examples/china-region) and drop this acknowledgement.
 */
export function acknowledgeCommercialOnly(scope: Construct): void {
  Annotations.of(scope).acknowledgeWarning(
    'cdk-private-eks:endpoint-region-token',
    'This example deploys to commercial AWS regions only; aws-cn stacks set env.region (examples/china-region).',
  );
}
