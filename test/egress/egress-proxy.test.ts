/**
 * EgressProxy: the resources it creates, how it plugs into a PrivateEksCluster, its synth-time errors and
 * cdk-nag. Its user data is run through the real tools in test/real-clients/egress-user-data.test.ts.
 */
import { App, CfnParameter, Fn, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EgressProxy, EgressProxyProps, EndpointService, NodeFamily, PrivateEksCluster } from '../../lib';
import { defaultEgressDomains } from '../../lib/egress/allowlist';
import { fakeKubectlLayer, isolatedVpc, testApp, testStack } from '../support/cdk';
import { egressOnly, egressVpc, userDataText } from '../support/egress';
import { validationErrorOf } from '../support/errors';
import { addNagPacks, nagFindings } from '../support/nag';

test("sessionManager: false leaves the SSM managed policy off the proxies' role; the log group stays writable", () => {
  const { stack, proxy } = egressOnly({ sessionManager: false });
  const template = Template.fromStack(stack);
  const role = template.toJSON().Resources[stack.getLogicalId(proxy.role.node.defaultChild as any)];
  expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  expect(JSON.stringify(template.toJSON())).not.toContain('AmazonSSMManagedInstanceCore');
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'] }),
      ]),
    },
  });
});

describe('EgressProxy with its defaults', () => {
  const { stack, vpc, proxy } = egressOnly();
  const template = Template.fromStack(stack);
  const id = (c: any) => stack.getLogicalId(c.node.defaultChild);
  const launchTemplate = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as any;

  test('an Auto Scaling group of at least 2 proxies in the public subnets of 2 Availability Zones', () => {
    const group = Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup'))[0] as any;
    expect(group.Properties).toMatchObject({ MinSize: '2', MaxSize: '2', HealthCheckType: 'ELB' });
    expect(group.Properties.DesiredCapacity).toBeUndefined();
    expect(group.Properties.VPCZoneIdentifier).toEqual(stack.resolve(vpc.publicSubnets.map((s) => s.subnetId)));
    const zones = group.Properties.VPCZoneIdentifier.map((ref: any) =>
      JSON.stringify(template.toJSON().Resources[ref.Ref].Properties.AvailabilityZone),
    );
    expect(new Set(zones).size).toBe(2);
  });

  test('a launch template change rolls the group one proxy at a time, each waiting for its signal', () => {
    const group = Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup'))[0] as any;
    expect(group.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({
      MaxBatchSize: 1,
      MinInstancesInService: 1,
      WaitOnResourceSignals: true,
    });
    expect(group.CreationPolicy.ResourceSignal).toEqual({ Count: 2, Timeout: 'PT15M' });
    expect(userDataText(stack, launchTemplate)).toContain(
      `/opt/aws/bin/cfn-signal --stack Test --resource ${id(proxy.autoScalingGroup)}`,
    );
  });

  test('AL2023 arm64 on t4g.small, IMDSv2 with hop limit 1, an encrypted gp3 root volume, no key pair', () => {
    const data = launchTemplate.Properties.LaunchTemplateData;
    expect(data.InstanceType).toBe('t4g.small');
    expect(data.MetadataOptions).toEqual({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(data.BlockDeviceMappings).toEqual([
      {
        DeviceName: '/dev/xvda',
        Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 16, DeleteOnTermination: true },
      },
    ]);
    expect(data.KeyName).toBeUndefined();
    expect(data.NetworkInterfaces).toEqual([
      expect.objectContaining({ AssociatePublicIpAddress: true, DeviceIndex: 0 }),
    ]);
    const parameter = Object.keys(template.toJSON().Parameters).find((p) => /al2023amikernel\w*arm64/.test(p));
    expect(parameter).toBeDefined();
    expect(data.ImageId).toEqual({ Ref: parameter });
  });

  test('Session Manager instead of SSH: the SSM managed policy on the role, and the log group writable', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] },
      ],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'] }),
        ]),
      },
    });
  });

  test('security groups: the proxy port from the VPC CIDR to the load balancer, from the load balancer to the proxies, nothing else in', () => {
    const lbSg = id(proxy.connections.securityGroups[0]);
    const instanceSg = id(proxy.instanceSecurityGroup);
    const groups = template.toJSON().Resources;
    expect(groups[lbSg].Properties.SecurityGroupIngress).toEqual([
      { CidrIp: '10.0.0.0/16', Description: 'Proxy clients', FromPort: 3128, ToPort: 3128, IpProtocol: 'tcp' },
    ]);
    expect(groups[instanceSg].Properties.SecurityGroupIngress).toBeUndefined();
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')) as any[];
    expect(ingress.map((i) => i.Properties)).toEqual([
      expect.objectContaining({
        GroupId: { 'Fn::GetAtt': [instanceSg, 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [lbSg, 'GroupId'] },
        FromPort: 3128,
        ToPort: 3128,
      }),
    ]);
    // Out of the proxies: HTTP and HTTPS only.
    const egress = groups[instanceSg].Properties.SecurityGroupEgress.map(
      (e: any) => `${e.CidrIp ?? e.CidrIpv6}:${e.FromPort}-${e.ToPort}`,
    );
    expect(egress.sort()).toEqual(['0.0.0.0/0:443-443', '0.0.0.0/0:80-80', '::/0:443-443', '::/0:80-80']);
  });

  test('an internal Network Load Balancer in the isolated subnets, cross-zone, TCP listener and target group on the port', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internal',
      Subnets: stack.resolve(vpc.isolatedSubnets.map((s) => s.subnetId)),
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'load_balancing.cross_zone.enabled', Value: 'true' }]),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 3128, Protocol: 'TCP' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 3128,
      Protocol: 'TCP',
      TargetType: 'instance',
      HealthCheckProtocol: 'TCP',
      HealthCheckPort: '3128',
    });
    const group = Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup'))[0] as any;
    expect(group.Properties.TargetGroupARNs).toHaveLength(1);
  });

  test('the access log group keeps one month', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('the user data installs squid and the CloudWatch agent, writes squid.conf and the agent config in quoted here-documents', () => {
    const text = userDataText(stack, launchTemplate);
    expect(text).toContain('dnf install -y squid amazon-cloudwatch-agent aws-cfn-bootstrap');
    expect(text).toContain("cat > /etc/squid/squid.conf <<'CDK_PRIVATE_EKS_SQUID_CONF'\n");
    expect(text).toContain('http_access allow egress_clients egress_domains\nhttp_access deny all\n');
    expect(text).toContain('acl egress_clients src 10.0.0.0/16\n');
    expect(text).toContain('ec2.<AWS::Region>.<AWS::URLSuffix>');
    expect(text).toContain(`"log_group_name": "<${id(proxy.logGroup)}>"`);
    expect(text).toContain('"file_path": "/var/log/squid/access.log"');
    expect(text).toContain('systemctl enable --now squid\n');
    expect(text).toMatch(/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/);
    expect(text.indexOf('squid -k parse -f /etc/squid/squid.conf')).toBeLessThan(
      text.indexOf('systemctl enable --now squid'),
    );
  });

  test('proxySettings: http://<load balancer DNS name>:3128, host:port known to every consumer', () => {
    expect(stack.resolve(proxy.proxySettings.httpsProxy)).toEqual({
      'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [id(proxy.loadBalancer), 'DNSName'] }, ':3128']],
    });
    expect(proxy.proxySettings.httpsProxyHostPort).toBeDefined();
    expect(proxy.port).toBe(3128);
  });

  test("the allowlist holds the defaults of the stack's region (tokens here) and nothing else", () => {
    expect([...proxy.allowedDomains].sort()).toEqual([...defaultEgressDomains(stack.region, stack.urlSuffix)].sort());
  });
});

describe('EgressProxy options', () => {
  test('instance type, capacity, port, domains, CIDRs and retention', () => {
    const { stack, proxy } = egressOnly({
      instanceType: new ec2.InstanceType('t3.small'),
      minCapacity: 3,
      maxCapacity: 4,
      port: 8080,
      allowedDomains: ['*.docker.io', 'registry-1.docker.io'],
      includeDefaultDomains: false,
      allowedCidrs: ['10.0.0.0/17', '10.0.128.0/17'],
      logRetention: logs.RetentionDays.THREE_MONTHS,
    });
    const template = Template.fromStack(stack);
    const group = Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup'))[0] as any;
    expect(group.Properties).toMatchObject({ MinSize: '3', MaxSize: '4' });
    // Room for one more: every proxy keeps serving during a roll.
    expect(group.UpdatePolicy.AutoScalingRollingUpdate.MinInstancesInService).toBe(3);
    expect(Object.keys(template.toJSON().Parameters).some((p) => /al2023amikernel\w*x8664/.test(p))).toBe(true);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 8080 });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.resourcePropertiesCountIs(
      'AWS::EC2::SecurityGroup',
      {
        SecurityGroupIngress: [
          Match.objectLike({ CidrIp: '10.0.0.0/17', FromPort: 8080 }),
          Match.objectLike({ CidrIp: '10.0.128.0/17', FromPort: 8080 }),
        ],
      },
      1,
    );
    expect(proxy.allowedDomains).toEqual(['.docker.io']);
    expect(proxy.squidConfig).toContain('http_port 8080\n');
    expect(proxy.squidConfig).toContain('acl egress_clients src 10.0.0.0/17 10.0.128.0/17\n');
    expect(proxy.squidConfig).toContain('acl egress_domains dstdomain -n .docker.io\n');
    expect(stack.resolve(proxy.proxySettings.httpProxy)['Fn::Join'][1][2]).toBe(':8080');
  });

  test("a concrete region gives concrete default names, merged with the user's", () => {
    const { proxy } = egressOnly(
      { allowedDomains: ['prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com', 'ghcr.io'] },
      'eu-west-1',
    );
    expect(proxy.allowedDomains).toContain('.s3.eu-west-1.amazonaws.com');
    expect(proxy.allowedDomains).toContain('ghcr.io');
    expect(proxy.allowedDomains).not.toContain('prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com');
    expect(proxy.squidConfig).toContain('eks-auth.eu-west-1.api.aws');
  });

  test('in an env-agnostic stack, an entry that overlaps a default once the region is known is a warning', () => {
    const { stack } = egressOnly({ allowedDomains: ['s3.us-east-1.amazonaws.com', 'ghcr.io'] });
    Annotations.fromStack(stack).hasWarning(
      '/Test/Egress',
      Match.stringLikeRegexp('allowedDomains s3.us-east-1.amazonaws.com overlap the default AWS domains'),
    );
    const quiet = egressOnly({ allowedDomains: ['ghcr.io'] });
    Annotations.fromStack(quiet.stack).hasNoWarning('/Test/Egress', Match.anyValue());
  });

  test('proxies in PRIVATE_WITH_EGRESS subnets get no public address', () => {
    const stack = testStack();
    const vpc = egressVpc(stack, {
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 26 },
        { name: 'egress', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
        { name: 'nodes', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
      ],
    });
    new EgressProxy(stack, 'Egress', {
      vpc,
      proxySubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      loadBalancerSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    });
    const lt = Object.values(Template.fromStack(stack).findResources('AWS::EC2::LaunchTemplate'))[0] as any;
    expect(lt.Properties.LaunchTemplateData.NetworkInterfaces).toBeUndefined();
  });

  test('a load balancer in one Availability Zone is a warning', () => {
    const stack = testStack();
    const vpc = egressVpc(stack);
    new EgressProxy(stack, 'Egress', { vpc, loadBalancerSubnets: { subnets: [vpc.isolatedSubnets[0]] } });
    Annotations.fromStack(stack).hasWarning(
      '/Test/Egress',
      Match.stringLikeRegexp('load balancer is in 1 Availability Zone'),
    );
  });

  test('toProxySettings adds NO_PROXY entries and keeps the same proxy', () => {
    const { stack, proxy } = egressOnly();
    const settings = proxy.toProxySettings({ noProxy: ['.corp.example'] });
    expect(settings.noProxy).toEqual(['.corp.example']);
    expect(stack.resolve(settings.httpsProxy)).toEqual(stack.resolve(proxy.proxySettings.httpsProxy));
  });
});

describe('plugged into a PrivateEksCluster', () => {
  const stack = testStack();
  const vpc = egressVpc(stack);
  const proxy = new EgressProxy(stack, 'Egress', { vpc, allowedDomains: ['.docker.io', '.quay.io'] });
  const cluster = new PrivateEksCluster(stack, 'Cluster', {
    vpc,
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    proxy: proxy.proxySettings,
    endpointServices: [EndpointService.LAMBDA, EndpointService.S3],
  });
  cluster.addProxiedNodeGroup('Workers', { instanceTypes: [new ec2.InstanceType('m7g.large')] });
  cluster.addProxiedNodeGroup('Bottlerocket', {
    family: NodeFamily.BOTTLEROCKET,
    instanceTypes: [new ec2.InstanceType('m7g.large')],
  });
  const template = Template.fromStack(stack);
  const dnsName = { 'Fn::GetAtt': [stack.getLogicalId(proxy.loadBalancer.node.defaultChild as any), 'DNSName'] };

  test("the kubectl handler gets HTTPS_PROXY with the load balancer's DNS name (Fn::GetAtt)", () => {
    const handlers = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ HTTPS_PROXY: Match.anyValue() }) } },
    });
    expect(Object.keys(handlers)).toHaveLength(1);
    const vars = (Object.values(handlers)[0] as any).Properties.Environment.Variables;
    const url = { 'Fn::Join': ['', ['http://', dnsName, ':3128']] };
    expect(vars.HTTPS_PROXY).toEqual(url);
    expect(vars.HTTP_PROXY).toEqual(url);
    expect(vars.https_proxy).toEqual(url);
  });

  test('the nodes (AL2023 and Bottlerocket) are given the load balancer as their proxy', () => {
    const lts = Object.values(template.findResources('AWS::EC2::LaunchTemplate')) as any[];
    const texts = lts.map((lt) => userDataText(stack, lt, { [dnsName['Fn::GetAtt'].join('.')]: 'egress.elb.example' }));
    const nodeTexts = texts.filter((t) => !t.includes('CDK_PRIVATE_EKS_SQUID_CONF'));
    expect(nodeTexts).toHaveLength(2);
    const bottlerocket = nodeTexts
      .map((t) => (/^[A-Za-z0-9+/=\s]+$/.test(t) ? Buffer.from(t, 'base64').toString('utf8') : t))
      .find((t) => t.includes('[settings.network]'));
    expect(bottlerocket).toContain('https-proxy = "egress.elb.example:3128"');
    const al2023 = nodeTexts.find((t) => !t.includes('[settings.network]'))!;
    expect(al2023).toContain('http://egress.elb.example:3128');
  });

  test('the cluster and its node groups wait for the proxies, without being told', () => {
    const asg = stack.getLogicalId(proxy.autoScalingGroup.node.defaultChild as any);
    const eksCluster = Object.values(template.findResources('AWS::EKS::Cluster'))[0] as any;
    expect(eksCluster.DependsOn).toEqual(expect.arrayContaining([asg]));
    for (const ng of Object.values(template.findResources('AWS::EKS::Nodegroup')) as any[]) {
      expect(ng.DependsOn).toEqual(expect.arrayContaining([asg]));
    }
  });
});

describe('synth-time errors', () => {
  const inIsolatedVpc = () => {
    const stack = testStack();
    return new EgressProxy(stack, 'Egress', { vpc: isolatedVpc(stack) });
  };
  const withVpc = (props: (vpc: ec2.Vpc) => Partial<EgressProxyProps>) => {
    const stack = testStack();
    const vpc = egressVpc(stack);
    return new EgressProxy(stack, 'Egress', { vpc, ...props(vpc) });
  };

  /** [what is wrong, build, prop, a phrase of the message] */
  const cases: Array<[string, () => unknown, string, RegExp]> = [
    ['a single proxy', () => egressOnly({ minCapacity: 1 }), 'minCapacity', /single point of failure.*Use 2 or more/],
    [
      'maxCapacity below minCapacity',
      () => egressOnly({ minCapacity: 3, maxCapacity: 2 }),
      'maxCapacity',
      /Raise maxCapacity/,
    ],
    [
      'proxy subnets in one Availability Zone',
      () => withVpc((vpc) => ({ proxySubnets: { subnets: [vpc.publicSubnets[0]] } })),
      'proxySubnets',
      /span 1 Availability Zone.*at least two/,
    ],
    [
      'proxy subnets without a way out',
      () => withVpc(() => ({ proxySubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } })),
      'proxySubnets',
      /isolated subnets/,
    ],
    ['a VPC with no subnet with egress', inIsolatedVpc, 'proxySubnets', /no subnet with a way to the internet/],
    [
      'an invalid domain',
      () => egressOnly({ allowedDomains: ['.docker.io', 'https://quay.io/v2'] }),
      'allowedDomains[1]',
      /URL.*registry-1\.docker\.io/,
    ],
    [
      'a top-level domain wildcard',
      () => egressOnly({ allowedDomains: ['.io'] }),
      'allowedDomains[0]',
      /whole top-level domain/,
    ],
    [
      'nothing allowed at all',
      () => egressOnly({ includeDefaultDomains: false }),
      'allowedDomains',
      /refuse every request/,
    ],
    ['port 0', () => egressOnly({ port: 0 }), 'port', /1 to 65535/],
    [
      'a client CIDR open to the world',
      () => egressOnly({ allowedCidrs: ['0.0.0.0/0'] }),
      'allowedCidrs[0]',
      /every address/,
    ],
    [
      'an IPv6-looking client CIDR Squid cannot read (found by hostile-egress-inputs)',
      () => egressOnly({ allowedCidrs: ['10.0.0.0/16', ':443/16'] }),
      'allowedCidrs[1]',
      /not a CIDR block/,
    ],
    [
      'an IPv6-looking private destination Squid cannot read (found by hostile-egress-inputs)',
      () => egressOnly({ allowedPrivateDestinations: ['fd00::/64', 'fd00:::443'] }),
      'allowedPrivateDestinations[1]',
      /not an IP address or CIDR/,
    ],
    [
      'an invalid client CIDR',
      () => egressOnly({ allowedCidrs: ['10.0.0.0/16', '10.0.0.0/33'] }),
      'allowedCidrs[1]',
      /not a CIDR block/,
    ],
    // Deploy-time input would be written unchecked into squid.conf by the instances' user data.
    [
      'a client CIDR from an import',
      () => egressOnly({ allowedCidrs: ['10.0.0.0/16', Fn.importValue('ClientCidr')] }),
      'allowedCidrs[1]',
      /chosen at deploy time.*squid\.conf/,
    ],
    [
      'a domain from an SSM parameter',
      () => {
        const stack = testStack();
        return new EgressProxy(stack, 'Egress', {
          vpc: egressVpc(stack),
          allowedDomains: [ssm.StringParameter.valueForStringParameter(stack, '/registry')],
        });
      },
      'allowedDomains[0]',
      /chosen at deploy time/,
    ],
    [
      'a private destination from a parameter',
      () => {
        const stack = testStack();
        const dest = new CfnParameter(stack, 'Dest');
        return new EgressProxy(stack, 'Egress', {
          vpc: egressVpc(stack),
          allowedPrivateDestinations: [dest.valueAsString],
        });
      },
      'allowedPrivateDestinations[0]',
      /chosen at deploy time/,
    ],
  ];

  test.each(cases)('%s', (_what, build, prop, message) => {
    const err = validationErrorOf(build);
    expect(err.prop).toBe(prop);
    expect(err.message).toMatch(new RegExp(`^Test/Egress: ${prop.replace(/[[\].]/g, '\\$&')} `));
    expect(err.message).toMatch(message);
  });
});

describe('VPC CIDR blocks declared after the proxy', () => {
  test("fail synth naming vpc when they would be missing from the proxy's allowed clients", () => {
    const { stack, vpc } = egressOnly();
    new ec2.CfnVPCCidrBlock(stack, 'Late', { vpcId: vpc.vpcId, cidrBlock: '10.1.0.0/16' });
    expect(() => Template.fromStack(stack)).toThrow(
      /^Test\/Egress: vpc has CIDR blocks declared after this construct \(10.1.0.0\/16\), so the proxy's allowed clients do not include them/,
    );
  });

  test('are no concern when allowedCidrs is given', () => {
    const { stack, vpc } = egressOnly({ allowedCidrs: ['10.0.0.0/16'] });
    new ec2.CfnVPCCidrBlock(stack, 'Late', { vpcId: vpc.vpcId, cidrBlock: '10.1.0.0/16' });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});

describe('cdk-nag AwsSolutions', () => {
  function build(app: App): Stack {
    const stack = new Stack(app, 'Egress');
    const vpc = egressVpc(stack);
    const proxy = new EgressProxy(stack, 'Proxy', { vpc, allowedDomains: ['.docker.io'] });
    const cluster = new PrivateEksCluster(stack, 'Cluster', {
      vpc,
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: fakeKubectlLayer(stack),
      proxy: proxy.proxySettings,
      endpointServices: [EndpointService.LAMBDA, EndpointService.S3],
    });
    cluster.addProxiedNodeGroup('Workers');
    return stack;
  }

  test('a PrivateEksCluster with an EgressProxy has no unacknowledged finding', () => {
    const app = testApp();
    build(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  test('the check can fail: a Network Load Balancer without our acknowledgement is reported (ELB2)', () => {
    const app = testApp();
    const stack = build(app);
    new elbv2.NetworkLoadBalancer(stack, 'Bare', {
      vpc: ec2.Vpc.fromVpcAttributes(stack, 'Other', {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ['us-east-1a'],
        privateSubnetIds: ['subnet-0123456789abcdef0'],
      }),
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-ELB2/);
  });
});

describe('cdk-nag NIST 800-53 R5', () => {
  /** The unacknowledged findings on the proxy's own resources (the test VPC has findings of its own). */
  function proxyFindings(props: (stack: Stack) => Partial<EgressProxyProps> = () => ({})): string[] {
    const app = testApp();
    const stack = new Stack(app, 'Egress');
    new EgressProxy(stack, 'Proxy', { vpc: egressVpc(stack), ...props(stack) });
    addNagPacks(app);
    return nagFindings(app)
      .filter((f) => f.path.startsWith('Egress/Proxy/'))
      .map((f) => `${f.id} ${f.path}`);
  }

  test("only the user's choices are left to the user: the log group's key and the load balancer's deletion protection", () => {
    expect(proxyFindings()).toEqual([
      'NIST.800.53.R5-CloudWatchLogGroupEncrypted Egress/Proxy/Logs/Resource',
      'NIST.800.53.R5-ELBDeletionProtectionEnabled Egress/Proxy/LoadBalancer/Resource',
    ]);
  });

  test('logEncryptionKey and deletionProtection leave nothing', () => {
    const findings = proxyFindings((stack) => ({
      deletionProtection: true,
      logEncryptionKey: new kms.Key(stack, 'LogKey', { enableKeyRotation: true }),
    }));
    expect(findings).toEqual([]);
  });
});

describe('deletionProtection', () => {
  test("turns on the load balancer's deletion protection; off by default", () => {
    const attribute = (on: boolean) =>
      Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: on ? 'true' : 'false' }]);
    Template.fromStack(egressOnly({ deletionProtection: true }).stack).hasResourceProperties(
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      { LoadBalancerAttributes: attribute(true) },
    );
    Template.fromStack(egressOnly().stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: attribute(false),
    });
  });
});

describe('logEncryptionKey', () => {
  test('a key of the app encrypts the log group and lets the regional CloudWatch Logs service use it for log groups only', () => {
    const stack = testStack('eu-west-1');
    const key = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
    const vpc = egressVpc(stack);
    new EgressProxy(stack, 'Egress', { vpc, logEncryptionKey: key });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as any), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: { 'Fn::Join': ['', ['logs.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } },
            Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:111122223333:log-group:*']],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  test('an imported key is used as is; without a key the log group has none', () => {
    const stack = testStack('eu-west-1');
    const arn = 'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000000';
    new EgressProxy(stack, 'Egress', { vpc: egressVpc(stack), logEncryptionKey: kms.Key.fromKeyArn(stack, 'K', arn) });
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: arn });
    const { stack: plain } = egressOnly();
    Template.fromStack(plain).hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.absent() });
  });
});
