import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { PrivateEksCluster, ProxiedNodeGroup } from '../../lib';
import { mimeParts } from '../support/mime';
import { proxiedCluster } from '../support/cluster';

const setup = proxiedCluster;

describe('ProxiedNodeGroup', () => {
  const { stack, vpc, cluster } = setup();
  const extraSg = new ec2.SecurityGroup(stack, 'Extra', { vpc });
  const group = new ProxiedNodeGroup(stack, 'Workers', {
    nodeContext: cluster.nodeContext,
    instanceTypes: [new ec2.InstanceType('m7i.large')],
    minSize: 2,
    maxSize: 5,
    labels: { role: 'worker' },
    taints: [{ key: 'dedicated', value: 'x', effect: eks.TaintEffect.NO_SCHEDULE }],
    capacityType: eks.CapacityType.SPOT,
    securityGroups: [extraSg],
  });
  const template = Template.fromStack(stack);

  test('the node group sets AL2023 explicitly and uses the launch template', () => {
    template.hasResourceProperties('AWS::EKS::Nodegroup', {
      AmiType: 'AL2023_x86_64_STANDARD',
      InstanceTypes: ['m7i.large'],
      ScalingConfig: { MinSize: 2, DesiredSize: 2, MaxSize: 5 },
      Labels: { role: 'worker' },
      Taints: [{ Key: 'dedicated', Value: 'x', Effect: 'NO_SCHEDULE' }],
      CapacityType: 'SPOT',
      LaunchTemplate: { Id: Match.anyValue(), Version: Match.anyValue() },
    });
  });

  test('IMDSv2 is required with hop limit 1 by default, and the root volume is encrypted gp3', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/xvda',
            Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 20, DeleteOnTermination: true },
          },
        ],
      }),
    });
  });

  test('extra security groups come with the cluster security group', () => {
    const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as any;
    const groups = stack.resolve(lt.Properties.LaunchTemplateData.SecurityGroupIds);
    expect(groups).toHaveLength(2);
    expect(JSON.stringify(groups)).toContain('ClusterSecurityGroupId');
  });

  test('user data is MIME multi-part with a boothook and a nodeadm NodeConfig', () => {
    const parts = mimeParts(group.userData!.render());
    expect(parts.map((p) => p.contentType)).toEqual([
      'text/cloud-boothook; charset="us-ascii"',
      'application/node.eks.aws',
    ]);
    expect(parts[0].body.startsWith('#!/bin/bash')).toBe(true);
    expect(parts[1].body).toContain('kind: NodeConfig');
    expect(parts[1].body).toContain('"HTTPS_PROXY": "http://proxy.corp.example:3128"');
  });
});

describe('ProxiedNodeGroup defaults', () => {
  test('one t3.medium-based AL2023 group of 2 in the private subnets', () => {
    const { stack, cluster } = setup();
    cluster.addProxiedNodeGroup('Workers');
    Template.fromStack(stack).hasResourceProperties('AWS::EKS::Nodegroup', {
      AmiType: 'AL2023_x86_64_STANDARD',
      InstanceTypes: ['t3.medium'],
      ScalingConfig: { MinSize: 1, DesiredSize: 2, MaxSize: 2 },
      Subnets: Match.arrayWith([Match.objectLike({ Ref: Match.stringLikeRegexp('Vpcprivate') })]),
    });
  });

  test('the hop limit can be raised to 2', () => {
    const { stack, cluster } = setup();
    cluster.addProxiedNodeGroup('Workers', { httpPutResponseHopLimit: 2 });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 } }),
    });
  });
});

describe('ProxiedNodeGroup on a pinned AMI (bootstrap without the EKS API)', () => {
  const { stack, cluster } = setup();
  const group = cluster.addProxiedNodeGroup('Pinned', {
    machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }),
  });
  const template = Template.fromStack(stack);

  test('the launch template has the AMI and the node group no AMI type', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ ImageId: 'ami-0123456789abcdef0' }),
    });
    const ng = Object.values(template.findResources('AWS::EKS::Nodegroup'))[0] as any;
    expect(ng.Properties.AmiType).toBeUndefined();
    expect(group.amiType).toBeUndefined();
  });

  test('the NodeConfig carries name, API endpoint, CA and service CIDR', () => {
    const nodeConfig = mimeParts(group.userData!.render()).find((p) => p.contentType === 'application/node.eks.aws')!;
    const resolved = JSON.stringify(stack.resolve(nodeConfig.body));
    expect(resolved).toContain('apiServerEndpoint: ');
    expect(resolved).toMatch(/"Fn::GetAtt":\["Cluster[0-9A-Za-z]+","Endpoint"\]/);
    expect(resolved).toMatch(/"Fn::GetAtt":\["Cluster[0-9A-Za-z]+","CertificateAuthorityData"\]/);
    expect(resolved).toContain('cidr: \\"172.20.0.0/16\\"');
  });
});

describe('size defaults adapt to the sizes given', () => {
  function scaling(options: Parameters<PrivateEksCluster['addProxiedNodeGroup']>[1]) {
    const { stack, cluster } = setup();
    cluster.addProxiedNodeGroup('Nodes', options);
    const ng = Object.values(Template.fromStack(stack).findResources('AWS::EKS::Nodegroup'))[0] as any;
    return ng.Properties.ScalingConfig;
  }

  test.each([
    [{}, { MinSize: 1, DesiredSize: 2, MaxSize: 2 }],
    [{ maxSize: 1 }, { MinSize: 1, DesiredSize: 1, MaxSize: 1 }],
    [{ maxSize: 5 }, { MinSize: 1, DesiredSize: 2, MaxSize: 5 }],
    [{ minSize: 3 }, { MinSize: 3, DesiredSize: 3, MaxSize: 3 }],
    [
      { minSize: 0, maxSize: 1 },
      { MinSize: 0, DesiredSize: 0, MaxSize: 1 },
    ],
    [{ desiredSize: 4 }, { MinSize: 1, DesiredSize: 4, MaxSize: 4 }],
  ])('%j gives %j', (options, expected) => {
    expect(scaling(options)).toEqual(expected);
  });
});
