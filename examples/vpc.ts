/**
 * What the example apps' VPCs share: flow logs, and the acknowledgement on the public subnets where a proxy
 * runs. Each acknowledges cdk-nag findings on resources of the example, not of the library.
 */
import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

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
