import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { EndpointPresets, NodeFamily, PrivateEksCluster } from '../../lib';
import { PrivateEksValidationError } from '../../lib/errors';
import { proxiedCluster } from '../support/cluster';

const setup = proxiedCluster;

/** Resolve a token-bearing string to text, writing each intrinsic as <Ref:X> / <GetAtt:X.Y>. */
function flatten(stack: any, value: string): string {
  const resolved = stack.resolve(value);
  const render = (v: any): string => {
    if (typeof v === 'string') return v;
    if (v['Fn::Join']) return v['Fn::Join'][1].map(render).join(v['Fn::Join'][0]);
    if (v.Ref) return `<Ref:${v.Ref}>`;
    if (v['Fn::GetAtt']) return `<GetAtt:${v['Fn::GetAtt'].join('.')}>`;
    return JSON.stringify(v);
  };
  return render(resolved);
}

describe('SelfManagedNodeGroup', () => {
  const { stack, cluster } = setup();
  const nodes = cluster.addSelfManagedNodeGroup('SelfManaged', {
    instanceTypes: [new ec2.InstanceType('m7i.large')],
    minSize: 2,
    maxSize: 4,
    labels: { team: 'payments' },
    taints: [{ key: 'dedicated', value: 'payments', effect: eks.TaintEffect.NO_SCHEDULE }],
    signalTimeout: Duration.minutes(10),
  });
  const template = Template.fromStack(stack);
  const asgId = stack.getLogicalId(nodes.autoScalingGroup.node.defaultChild as any);

  test('waits for a signal from every node, and rolls on launch template changes', () => {
    template.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      CreationPolicy: { ResourceSignal: { Count: 2, Timeout: 'PT10M' } },
      UpdatePolicy: Match.objectLike({
        AutoScalingRollingUpdate: Match.objectLike({
          WaitOnResourceSignals: true,
          PauseTime: 'PT10M',
          MinInstancesInService: 2,
          MaxBatchSize: 1,
        }),
      }),
      Properties: Match.objectLike({ MinSize: '2', MaxSize: '4', DesiredCapacity: Match.absent() }),
    });
  });

  test('joins through an EC2_LINUX access entry for the node role, created before the group', () => {
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      Type: 'EC2_LINUX',
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('SelfManagedRole'), 'Arn'] },
    });
    const asg = template.toJSON().Resources[asgId];
    expect(asg.DependsOn.some((d: string) => d.startsWith('ClusterSelfManagedAccessEntry'))).toBe(true);
  });

  test('the launch template has the AL2023 AMI from SSM, the cluster security group, a profile, IMDSv2 and encrypted gp3', () => {
    const parameters = template.toJSON().Parameters;
    expect(Object.values(parameters).map((p: any) => p.Default)).toContain(
      '/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/image_id',
    );
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 'm7i.large',
        IamInstanceProfile: Match.anyValue(),
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'ClusterSecurityGroupId'] }],
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true, VolumeType: 'gp3' }) })],
      }),
    });
  });

  test('the user data joins without the EKS API and signals this group by its logical id', () => {
    const text = flatten(stack, nodes.userData!.render());
    expect(text).toContain('Content-Type: text/cloud-boothook');
    expect(text).toContain('Content-Type: application/node.eks.aws');
    expect(text).toMatch(/apiServerEndpoint: "<GetAtt:Cluster\w+\.Endpoint>"/);
    expect(text).toMatch(/certificateAuthority: "<GetAtt:Cluster\w+\.CertificateAuthorityData>"/);
    expect(text).toContain('cidr: "172.20.0.0/16"');
    expect(text).toContain('- "--node-labels=team=payments"');
    expect(text).toContain('- "--register-with-taints=dedicated=payments:NoSchedule"');
    expect(text).toContain(`resource='${asgId}'`);
    expect(text).toContain("stack='Test'\n");
    expect(text).toContain("region='us-east-1'\n");
    expect(text).toContain('After=nodeadm-run.service kubelet.service');
    // The node gives up 4 minutes before CloudFormation (10 min), so its failure signal arrives in time;
    // an unreachable proxy or API server fails it after 3 minutes; it checks every 10 s.
    expect(text).toContain('\ntimeout_s=360\n');
    expect(text).toContain('\nunreachable_s=180\n');
    expect(text).toContain('\npoll_s=10\n');
    // It asks the cluster's API server (endpoint from the cluster) with nodeadm's token command, and trusts
    // the CA nodeadm wrote from the NodeConfig: the user data carries the CA once (EC2's 16 KB).
    expect(text).toMatch(/\nendpoint='<GetAtt:Cluster\w+\.Endpoint>'\n/);
    expect(text.match(/<GetAtt:Cluster\w+\.CertificateAuthorityData>/g)).toHaveLength(1);
    expect(text).toContain('--cacert /etc/kubernetes/pki/ca.crt');
    expect(text).toMatch(
      /timeout 30 'aws' 'eks' 'get-token' '--cluster-name' '<Ref:Cluster\w+>' '--region' 'us-east-1' 2>\/dev\/null \| field status token/,
    );
  });

  test('the instances are tagged as owned by the cluster', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      Tags: Match.arrayWith([
        Match.objectLike({
          Key: { 'Fn::Join': ['', ['kubernetes.io/cluster/', { Ref: Match.anyValue() }]] },
          Value: 'owned',
          PropagateAtLaunch: true,
        }),
      ]),
    });
  });
});

describe('SelfManagedNodeGroup checks', () => {
  test('without a proxy, the CloudFormation endpoint is required for the signal', () => {
    const { cluster } = setup({ proxy: undefined, endpointServices: EndpointPresets.minimal() });
    expect(() => cluster.addSelfManagedNodeGroup('Nodes')).toThrow(PrivateEksValidationError);
    expect(() => cluster.addSelfManagedNodeGroup('Nodes2')).toThrow(/cloudformation/);
  });

  test('several instance types are refused', () => {
    const { cluster } = setup();
    expect(() =>
      cluster.addSelfManagedNodeGroup('Nodes', {
        instanceTypes: [new ec2.InstanceType('m7i.large'), new ec2.InstanceType('m6i.large')],
      }),
    ).toThrow(/exactly one/);
  });

  test('a cluster older than Kubernetes 1.28 is refused for Amazon Linux (the ready signal needs SelfSubjectReview v1), not for Bottlerocket', () => {
    const { cluster } = setup({ version: eks.KubernetesVersion.V1_27 });
    const err = (() => {
      try {
        cluster.addSelfManagedNodeGroup('Nodes', { family: NodeFamily.AMAZON_LINUX_2 });
      } catch (e) {
        return e as PrivateEksValidationError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(PrivateEksValidationError);
    expect(err.prop).toBe('nodeContext.version');
    expect(err.message).toMatch(/is 1\.27, older than 1\.28.*Upgrade the cluster to Kubernetes 1\.28 or later/);
    expect(() => cluster.addSelfManagedNodeGroup('Bottlerocket', { family: NodeFamily.BOTTLEROCKET })).not.toThrow();
    expect(() =>
      setup({ version: eks.KubernetesVersion.V1_28 }).cluster.addSelfManagedNodeGroup('Nodes', {
        family: NodeFamily.AMAZON_LINUX_2,
      }),
    ).not.toThrow();
  });

  test('a signal timeout over 12 hours or under 5 minutes is refused', () => {
    const { cluster } = setup();
    expect(() => cluster.addSelfManagedNodeGroup('Nodes', { signalTimeout: Duration.hours(13) })).toThrow(
      /signalTimeout/,
    );
    expect(() => cluster.addSelfManagedNodeGroup('Nodes2', { signalTimeout: Duration.minutes(4) })).toThrow(
      /5 minutes/,
    );
  });

  test('the shortest signal timeout (5 minutes) leaves the node 1 minute, of which 30 s for an unreachable proxy or API server', () => {
    const { stack, cluster } = setup();
    const nodes = cluster.addSelfManagedNodeGroup('Nodes', { signalTimeout: Duration.minutes(5) });
    const text = flatten(stack, nodes.userData!.render());
    expect(text).toContain('\ntimeout_s=60\n');
    expect(text).toContain('\nunreachable_s=30\n');
  });
});

describe('rolling updates keep capacity', () => {
  /** MinSize, MaxSize, DesiredCapacity and MinInstancesInService of a self-managed group. */
  function rolling(options: Parameters<PrivateEksCluster['addSelfManagedNodeGroup']>[1]) {
    const { stack, cluster } = setup();
    cluster.addSelfManagedNodeGroup('Nodes', options);
    const group = Object.values(
      Template.fromStack(stack).findResources('AWS::AutoScaling::AutoScalingGroup'),
    )[0] as any;
    return {
      min: group.Properties.MinSize,
      max: group.Properties.MaxSize,
      desired: group.Properties.DesiredCapacity,
      inService: group.UpdatePolicy.AutoScalingRollingUpdate.MinInstancesInService,
    };
  }

  test('a group of one keeps its node: MinInstancesInService 1, MaxSize 2 for the replacement', () => {
    expect(rolling({})).toEqual({ min: '1', max: '2', desired: undefined, inService: 1 });
    expect(rolling({ minSize: 1 })).toEqual({ min: '1', max: '2', desired: undefined, inService: 1 });
  });

  test('MinInstancesInService is the desired size when given, else the min size; max leaves room', () => {
    expect(rolling({ minSize: 3 })).toEqual({ min: '3', max: '4', desired: undefined, inService: 3 });
    expect(rolling({ minSize: 2, desiredSize: 3, maxSize: 5 })).toEqual({
      min: '2',
      max: '5',
      desired: '3',
      inService: 3,
    });
    expect(rolling({ maxSize: 1, minSize: 0 })).toEqual({ min: '0', max: '1', desired: undefined, inService: 0 });
  });

  test('a group that cannot keep its nodes during an update is an error naming maxSize', () => {
    expect(() => rolling({ minSize: 2, maxSize: 2 })).toThrow(/maxSize \(2\) leaves no room above the 2 node\(s\)/);
    expect(() => rolling({ desiredSize: 3, maxSize: 3 })).toThrow(/Raise maxSize to at least 4/);
  });
});
