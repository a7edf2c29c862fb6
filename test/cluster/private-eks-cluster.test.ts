import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'fs';
import * as path from 'path';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { EndpointPresets, EndpointSet, PrivateEksCluster, ProxySettings } from '../../lib';
import { PROXY_HASH_ANNOTATION } from '../../lib/manifests/proxy-patch';
import { fakeKubectlLayer, isolatedVpc, testStack } from '../support/cdk';

function proxiedCluster(region = 'us-east-1', proxyUrl = 'http://proxy.corp.example:3128') {
  const stack = testStack(region);
  const vpc = isolatedVpc(stack);
  const cluster = new PrivateEksCluster(stack, 'Cluster', {
    vpc,
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    proxy: ProxySettings.fromUrl(proxyUrl, { noProxy: ['.corp.example'] }),
  });
  return { stack, vpc, cluster };
}

describe('PrivateEksCluster with a proxy', () => {
  const { stack, cluster } = proxiedCluster();
  cluster.addProxiedNodeGroup('Workers', { instanceTypes: [new ec2.InstanceType('m7i.large')], minSize: 2 });
  const template = Template.fromStack(stack);

  test('the API endpoint is private only and the service CIDR is pinned', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      Version: '1.35',
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false }),
      KubernetesNetworkConfig: Match.objectLike({ ServiceIpv4Cidr: '172.20.0.0/16' }),
      ComputeConfig: { Enabled: false },
    });
    expect(cluster.serviceIpv4Cidr).toBe('172.20.0.0/16');
  });

  test('there is no default capacity: only our node group', () => {
    template.resourceCountIs('AWS::EKS::Nodegroup', 1);
  });

  test('the kubectl handler runs in the private subnets with the proxy in its environment', () => {
    const handlers = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ HTTPS_PROXY: 'http://proxy.corp.example:3128' }) } },
    });
    expect(Object.keys(handlers)).toHaveLength(1);
    const handler = Object.values(handlers)[0] as any;
    expect(handler.Properties.VpcConfig.SubnetIds).toHaveLength(2);
    const vars = handler.Properties.Environment.Variables;
    expect(Object.keys(vars)).toEqual(
      expect.arrayContaining(['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']),
    );
    expect(vars.NO_PROXY).toContain('.us-east-1.eks.amazonaws.com');
  });

  test('NO_PROXY is complete, with user entries last', () => {
    expect(cluster.noProxy).toEqual(
      expect.arrayContaining([
        'localhost',
        '127.0.0.1',
        '169.254.169.254',
        'fd00:ec2::254',
        '169.254.170.23',
        'fd00:ec2::23',
        '10.0.0.0/16',
        '172.20.0.0/16',
        '172.20.0.1',
        '172.20.0.10',
        '.internal',
        '.us-east-1.eks.amazonaws.com',
        'ec2.us-east-1.amazonaws.com',
        'api.ecr.us-east-1.amazonaws.com',
        'dkr.ecr.us-east-1.amazonaws.com',
        'sts.us-east-1.amazonaws.com',
        's3.us-east-1.amazonaws.com',
        's3.dualstack.us-east-1.amazonaws.com',
      ]),
    );
    expect(cluster.noProxy[cluster.noProxy.length - 1]).toBe('.corp.example');
  });

  test('the proxy ConfigMap is applied in kube-system with both cases of the three variables', () => {
    const manifests = template.findResources('Custom::AWSCDK-EKS-KubernetesResource');
    const bodies = Object.values(manifests).map((m: any) =>
      JSON.parse(JSON.stringify(stack.resolve(m.Properties.Manifest))),
    );
    const configMap = bodies
      .map((b) => (typeof b === 'string' ? JSON.parse(b) : b))
      .flat()
      .find((o: any) => o.kind === 'ConfigMap' && o.metadata.name === 'proxy-environment-variables');
    expect(configMap).toBeDefined();
    expect(configMap.metadata.namespace).toBe('kube-system');
    expect(Object.keys(configMap.data).sort()).toEqual([
      'HTTPS_PROXY',
      'HTTP_PROXY',
      'NO_PROXY',
      'http_proxy',
      'https_proxy',
      'no_proxy',
    ]);
  });

  test('aws-node and kube-proxy are patched in kube-system, after the ConfigMap', () => {
    const patches = template.findResources('Custom::AWSCDK-EKS-KubernetesPatch');
    const byName = Object.fromEntries(Object.values(patches).map((p: any) => [p.Properties.ResourceName, p]));
    expect(Object.keys(byName).sort()).toEqual(['daemonset/aws-node', 'daemonset/kube-proxy']);
    for (const patch of Object.values(byName) as any[]) {
      expect(patch.Properties.ResourceNamespace).toBe('kube-system');
      expect(patch.Properties.PatchType).toBe('strategic');
      expect(patch.DependsOn.some((d: string) => d.startsWith('ClusterProxyEnvironment'))).toBe(true);
      const apply = JSON.parse(patch.Properties.ApplyPatchJson);
      expect(apply.spec.template.metadata.annotations[PROXY_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  test('nodes and the provider wait for the endpoints', () => {
    const eksCluster = Object.values(template.findResources('AWS::EKS::Cluster'))[0] as any;
    expect(eksCluster.DependsOn).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ClusterEndpointsS3/),
        expect.stringMatching(/^ClusterEndpointsEcrDkr/),
      ]),
    );
  });

  test('tells how to re-apply the patch after an add-on update', () => {
    Annotations.fromStack(stack).hasInfo('/Test/Cluster', Match.stringLikeRegexp('add-on.*redeploy'));
  });
});

describe('the proxy hash', () => {
  const hashOf = (proxyUrl: string) => {
    const { stack } = proxiedCluster('us-east-1', proxyUrl);
    const patch = Object.values(
      Template.fromStack(stack).findResources('Custom::AWSCDK-EKS-KubernetesPatch'),
    )[0] as any;
    return JSON.parse(patch.Properties.ApplyPatchJson).spec.template.metadata.annotations[PROXY_HASH_ANNOTATION];
  };

  test('is the same for the same settings and changes with them, so pods roll only on a change', () => {
    expect(hashOf('http://proxy.corp.example:3128')).toBe(hashOf('http://proxy.corp.example:3128'));
    expect(hashOf('http://proxy.corp.example:3128')).not.toBe(hashOf('http://proxy2.corp.example:3128'));
  });
});

describe('PrivateEksCluster without a proxy (closed network)', () => {
  const stack = testStack('eu-west-1');
  const vpc = isolatedVpc(stack, '172.25.0.0/16');
  const endpoints = new EndpointSet(stack, 'Endpoints', { vpc, services: EndpointPresets.privateClusterGuide() });
  const cluster = new PrivateEksCluster(stack, 'Cluster', {
    vpc,
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    endpoints,
  });
  cluster.addProxiedNodeGroup('Workers', { instanceTypes: [new ec2.InstanceType('m7g.large')] });
  const template = Template.fromStack(stack);

  test('uses the given endpoints and creates no others', () => {
    expect(cluster.endpoints).toBe(endpoints);
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 14);
  });

  test('applies no proxy ConfigMap and no patch', () => {
    template.resourceCountIs('Custom::AWSCDK-EKS-KubernetesPatch', 0);
    expect(cluster.proxyConfigMap).toBeUndefined();
  });

  test('the service CIDR follows the EKS rule for a 172.x VPC', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      KubernetesNetworkConfig: Match.objectLike({ ServiceIpv4Cidr: '10.100.0.0/16' }),
    });
  });

  test('nodes get no proxy user data, and ARM instances get the AL2023 ARM AMI type', () => {
    template.hasResourceProperties('AWS::EKS::Nodegroup', { AmiType: 'AL2023_ARM_64_STANDARD' });
    const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as any;
    expect(lt.Properties.LaunchTemplateData.UserData).toBeUndefined();
  });
});

describe('PrivateEksCluster with an imported VPC', () => {
  test('works with a concrete CIDR and says it cannot check DNS', () => {
    const stack = testStack('us-east-1');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      vpcCidrBlock: '10.20.0.0/16',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      isolatedSubnetIds: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
      isolatedSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60001', 'rtb-0a1b2c3d4e5f60002'],
    });
    const cluster = new PrivateEksCluster(stack, 'Cluster', {
      vpc,
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: fakeKubectlLayer(stack),
      proxy: ProxySettings.fromUrl('http://10.20.0.10:3128'),
    });
    cluster.addProxiedNodeGroup('Workers');
    expect(cluster.serviceIpv4Cidr).toBe('172.20.0.0/16');
    expect(cluster.noProxy).toContain('10.20.0.0/16');
    Annotations.fromStack(stack).hasInfo('/Test/Cluster', Match.stringLikeRegexp('cannot be checked at synth time'));
    Template.fromStack(stack).resourceCountIs('AWS::EKS::Nodegroup', 1);
  });
});

describe('control-plane logging', () => {
  function loggingOf(clusterLogging?: eks.ClusterLoggingTypes[]) {
    const stack = testStack('us-east-1');
    new PrivateEksCluster(stack, 'Cluster', {
      vpc: isolatedVpc(stack),
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: fakeKubectlLayer(stack),
      endpointServices: EndpointPresets.privateClusterGuide(),
      clusterLogging,
    });
    const cluster = Object.values(Template.fromStack(stack).findResources('AWS::EKS::Cluster'))[0] as any;
    return cluster.Properties.Logging;
  }

  test('api, audit and authenticator are on by default (CIS EKS 2.1.1)', () => {
    expect(loggingOf()).toEqual({
      ClusterLogging: { EnabledTypes: [{ Type: 'api' }, { Type: 'audit' }, { Type: 'authenticator' }] },
    });
  });

  test('clusterLogging replaces the default; an empty list turns logging off', () => {
    expect(loggingOf([eks.ClusterLoggingTypes.SCHEDULER]).ClusterLogging.EnabledTypes).toEqual([{ Type: 'scheduler' }]);
    expect(loggingOf([])).toBeUndefined();
  });
});

describe('secondary VPC CIDR blocks declared anywhere in the stack', () => {
  function withSecondary(blocks: string[], otherVpcBlock?: string) {
    const stack = testStack('us-east-1');
    const vpc = isolatedVpc(stack);
    // Declared at stack scope (not as a child of the Vpc construct), as many apps do.
    blocks.forEach((cidrBlock, i) => new ec2.CfnVPCCidrBlock(stack, `Secondary${i}`, { vpcId: vpc.vpcId, cidrBlock }));
    if (otherVpcBlock) {
      const other = new ec2.CfnVPC(stack, 'OtherVpc', { cidrBlock: '192.168.0.0/16' });
      new ec2.CfnVPCCidrBlock(stack, 'OtherSecondary', { vpcId: other.ref, cidrBlock: otherVpcBlock });
    }
    const cluster = new PrivateEksCluster(stack, 'Cluster', {
      vpc,
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: fakeKubectlLayer(stack),
      proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128'),
    });
    return { stack, vpc, cluster };
  }

  test('are in NO_PROXY and the endpoint security group, and the default service CIDR avoids them', () => {
    const { stack, cluster } = withSecondary(['172.20.0.0/16']);
    expect(cluster.noProxy).toContain('172.20.0.0/16');
    expect(cluster.serviceIpv4Cidr).toBe('10.100.0.0/16');
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.arrayWith([Match.objectLike({ CidrIp: '172.20.0.0/16', FromPort: 443 })]),
    });
  });

  test("another VPC's secondary block is not this VPC's", () => {
    const { cluster } = withSecondary([], '10.50.0.0/16');
    expect(cluster.noProxy).not.toContain('10.50.0.0/16');
    expect(cluster.noProxy).toContain('10.0.0.0/16');
  });

  test('a block declared after the cluster fails synth naming vpc, instead of missing from NO_PROXY', () => {
    const { stack, vpc } = withSecondary([]);
    new ec2.CfnVPCCidrBlock(stack, 'Late', { vpcId: vpc.vpcId, cidrBlock: '100.64.0.0/16' });
    expect(() => Template.fromStack(stack)).toThrow(
      /Test\/Cluster: vpc has CIDR blocks declared after this construct \(100.64.0.0\/16\), so NO_PROXY and the choice of the service CIDR do not include them/,
    );
  });

  test('an IPAM-allocated block (no CIDR at synth) is named in a warning', () => {
    const { stack, vpc } = withSecondary([]);
    new ec2.CfnVPCCidrBlock(stack, 'FromIpam', {
      vpcId: vpc.vpcId,
      ipv4IpamPoolId: 'ipam-pool-0123',
      ipv4NetmaskLength: 20,
    });
    new ec2.CfnVPCCidrBlock(stack, 'Ipv6', { vpcId: vpc.vpcId, amazonProvidedIpv6CidrBlock: true });
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning(
      '/Test/Cluster',
      Match.stringLikeRegexp('Test/FromIpam is allocated from an IPAM pool.*NO_PROXY'),
    );
    expect(annotations.findWarning('*', Match.stringLikeRegexp('Test/Ipv6'))).toHaveLength(0);
  });

  test('when both EKS defaults overlap the VPC, the error names serviceIpv4Cidr', () => {
    expect(() => withSecondary(['172.20.0.0/16', '10.100.0.0/16'])).toThrow(
      /serviceIpv4Cidr is not set and both EKS defaults \(172.20.0.0\/16, 10.100.0.0\/16\) overlap the VPC CIDRs/,
    );
  });
});

/** A cluster whose proxy inspects TLS, with the CA bundle read from a fixture file. */
function tlsInspectingCluster(fixtureFile: string) {
  const stack = testStack('us-east-1');
  const cluster = new PrivateEksCluster(stack, 'Cluster', {
    vpc: isolatedVpc(stack),
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', {
      caBundleFile: path.join(__dirname, '..', 'fixtures', 'ca', fixtureFile),
    }),
  });
  return { stack, cluster };
}

describe('PrivateEksCluster with a TLS-inspecting proxy', () => {
  const dir = path.join(__dirname, '..', 'fixtures', 'ca');
  const { stack, cluster } = tlsInspectingCluster('inspection-root-ca.pem');

  test('the synth notes list the subject of each certificate', () => {
    Annotations.fromStack(stack).hasInfo(
      '/Test/Cluster',
      Match.stringLikeRegexp(
        'proxy.caBundle: 1 certificate.*\\n1\\. O=Example Corp, CN=Example Corp TLS Inspection Root CA',
      ),
    );
  });

  test('the node context carries the canonical bundle', () => {
    expect(cluster.nodeContext.proxy?.caBundle).toBe(readFileSync(path.join(dir, 'inspection-root-ca.pem'), 'utf8'));
  });

  test('a leaf certificate is a warning', () => {
    const s = tlsInspectingCluster('leaf-not-ca.pem').stack;
    Annotations.fromStack(s).hasWarning('/Test/Cluster', Match.stringLikeRegexp('not a CA certificate'));
  });
});

describe('the kubectl handler with a CA bundle', () => {
  const dir = path.join(__dirname, '..', 'fixtures', 'ca');
  const { stack } = tlsInspectingCluster('inspection-root-ca.pem');
  const template = Template.fromStack(stack);

  test('its environment points Go, OpenSSL, requests and botocore at the combined bundle in the layer', () => {
    const handlers = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ HTTPS_PROXY: 'http://proxy.corp.example:3128' }) } },
    });
    const handler = Object.values(handlers)[0] as any;
    expect(handler.Properties.Environment.Variables).toMatchObject({
      SSL_CERT_FILE: '/opt/cdk-private-eks/ca/ca-bundle.pem',
      REQUESTS_CA_BUNDLE: '/opt/cdk-private-eks/ca/ca-bundle.pem',
      AWS_CA_BUNDLE: '/opt/cdk-private-eks/ca/ca-bundle.pem',
    });
    const layers = template.findResources('AWS::Lambda::LayerVersion', {
      Properties: { Description: Match.stringLikeRegexp('proxy.s CA bundle') },
    });
    const layerId = Object.keys(layers)[0];
    expect(handler.Properties.Layers).toEqual(expect.arrayContaining([{ Ref: layerId }]));
    expect(handler.Properties.Layers.length).toBeLessThanOrEqual(5); // Lambda's limit of layers per function
  });

  test('pods: a proxy-ca-bundle ConfigMap in kube-system with the exact PEM; the DaemonSet patches mount it', () => {
    const pem = readFileSync(path.join(dir, 'inspection-root-ca.pem'), 'utf8');
    const manifests = Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource')).map((r: any) =>
      JSON.stringify(stack.resolve(r.Properties.Manifest)),
    );
    const ca = manifests.filter((m) => m.includes('proxy-ca-bundle'));
    expect(ca).toHaveLength(1);
    const [object] = JSON.parse(JSON.parse(ca[0]));
    expect(object).toMatchObject({
      kind: 'ConfigMap',
      metadata: { name: 'proxy-ca-bundle', namespace: 'kube-system' },
    });
    expect(object.data['proxy-ca.pem']).toBe(pem);
    const patches = Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesPatch')) as any[];
    expect(patches).toHaveLength(2);
    for (const p of patches) {
      expect(JSON.stringify(stack.resolve(p.Properties.ApplyPatchJson))).toContain('SSL_CERT_DIR');
    }
  });
});
