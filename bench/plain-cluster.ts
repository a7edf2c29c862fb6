/**
 * Benchmark baseline: the private EKS cluster of examples/proxy-cluster/app.ts written by hand with
 * plain aws-cdk-lib (aws-eks-v2), i.e. what a user would write without cdk-private-eks.
 *
 * Same VPC (10.0.0.0/16, 2 AZs, isolated subnets, no NAT), same interface endpoints (ec2, ecr.api,
 * ecr.dkr, sts, eks, lambda) sharing one security group (443 from the VPC CIDR), an S3 gateway
 * endpoint, a private-endpoint cluster whose kubectl provider runs with the proxy in its environment,
 * one AL2023 managed node group with a launch template carrying a small MIME user data, one manifest
 * (a ConfigMap) and one KubernetesPatch.
 *
 * Env-agnostic: synthesizes without AWS credentials. Run by bench/synth-bench.js; not part of the library.
 */
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Aws, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';

const PROXY = 'http://proxy.corp.example:3128';
const SERVICE_CIDR = '172.20.0.0/16';

export class PlainClusterStack extends Stack {
  public readonly cluster: eks.Cluster;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      // The default security group allows all traffic between its members: take every rule away
      // (EKS best practices; cdk-nag NIST.800.53.R5-VPCDefaultSecurityGroupClosed).
      restrictDefaultSecurityGroup: true,
      ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      flowLogs: {
        all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(), trafficType: ec2.FlowLogTrafficType.ALL },
      },
      subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
    });

    // VPC endpoints: one shared security group, HTTPS from the VPC only.
    const endpointSg = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: 'VPC interface endpoints: HTTPS from the VPC',
      allowAllOutbound: false,
    });
    endpointSg.addIngressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(443), 'HTTPS from the VPC');
    const services: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
      Ec2: ec2.InterfaceVpcEndpointAwsService.EC2,
      EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
      EcrDkr: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
      Sts: ec2.InterfaceVpcEndpointAwsService.STS,
      Eks: ec2.InterfaceVpcEndpointAwsService.EKS,
      Lambda: ec2.InterfaceVpcEndpointAwsService.LAMBDA,
    };
    const endpoints: ec2.InterfaceVpcEndpoint[] = [];
    for (const [name, service] of Object.entries(services)) {
      endpoints.push(
        vpc.addInterfaceEndpoint(name, {
          service,
          subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED, onePerAz: true },
          securityGroups: [endpointSg],
          privateDnsEnabled: true,
          open: false,
        }),
      );
    }
    vpc.addGatewayEndpoint('S3', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [{ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });

    // The proxy environment, hand-written: VPC, service CIDR, IMDS and the endpoint hosts bypass the proxy.
    const suffix = `${Aws.REGION}.${Aws.URL_SUFFIX}`;
    const noProxy = [
      'localhost',
      '127.0.0.1',
      '169.254.169.254',
      '169.254.170.23',
      vpc.vpcCidrBlock,
      SERVICE_CIDR,
      '.internal',
      '.svc',
      '.cluster.local',
      `.${Aws.REGION}.eks.${Aws.URL_SUFFIX}`,
      `ec2.${suffix}`,
      `api.ecr.${suffix}`,
      `dkr.ecr.${suffix}`,
      `sts.${suffix}`,
      `s3.${suffix}`,
      `eks.${suffix}`,
      `lambda.${suffix}`,
      '.corp.example',
    ].join(',');
    const environment = {
      HTTP_PROXY: PROXY,
      HTTPS_PROXY: PROXY,
      NO_PROXY: noProxy,
      http_proxy: PROXY,
      https_proxy: PROXY,
      no_proxy: noProxy,
    };

    this.cluster = new eks.Cluster(this, 'Cluster', {
      vpc,
      version: eks.KubernetesVersion.V1_35,
      endpointAccess: eks.EndpointAccess.PRIVATE,
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      serviceIpv4Cidr: SERVICE_CIDR,
      kubectlProviderOptions: {
        kubectlLayer: new KubectlV35Layer(this, 'Kubectl'),
        environment,
      },
    });
    // Nodes and the kubectl provider need the endpoints as soon as they start.
    endpoints.forEach((e) => this.cluster.node.addDependency(e));

    // Node group: launch template with a small MIME user data (proxy for the OS and nodeadm).
    const userData = new ec2.MultipartUserData();
    userData.addPart(
      ec2.MultipartBody.fromRawBody({
        contentType: 'text/cloud-boothook; charset="us-ascii"',
        body: [
          '#!/bin/bash',
          `cat >> /etc/environment <<'EOF'`,
          ...Object.entries(environment).map(([k, v]) => `${k}=${v}`),
          'EOF',
          `echo "proxy=${PROXY}" >> /etc/dnf/dnf.conf`,
          'for unit in containerd kubelet; do',
          '  mkdir -p /etc/systemd/system/$unit.service.d',
          '  printf "[Service]\\nEnvironmentFile=/etc/environment\\n" > /etc/systemd/system/$unit.service.d/http-proxy.conf',
          'done',
          'systemctl daemon-reload',
        ].join('\n'),
      }),
    );
    userData.addPart(
      ec2.MultipartBody.fromRawBody({
        contentType: 'application/node.eks.aws',
        body: ['apiVersion: node.eks.aws/v1alpha1', 'kind: NodeConfig', 'spec:', '  kubelet:', '    flags: []'].join(
          '\n',
        ),
      }),
    );
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      userData,
      requireImdsv2: true,
      httpPutResponseHopLimit: 2,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(20, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true }),
        },
      ],
    });
    this.cluster.addNodegroupCapacity('Workers', {
      instanceTypes: [new ec2.InstanceType('m7i.large')],
      amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      minSize: 2,
      launchTemplateSpec: { id: launchTemplate.launchTemplateId!, version: launchTemplate.latestVersionNumber },
    });

    // One manifest (the proxy ConfigMap) and one patch (aws-node reads it).
    const configMap = this.cluster.addManifest('ProxyEnvironment', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'proxy-environment-variables', namespace: 'kube-system' },
      data: environment,
    });
    const patch = new eks.KubernetesPatch(this, 'AwsNodeProxyPatch', {
      cluster: this.cluster,
      resourceName: 'daemonset/aws-node',
      resourceNamespace: 'kube-system',
      applyPatch: {
        spec: {
          template: {
            spec: {
              containers: [{ name: 'aws-node', envFrom: [{ configMapRef: { name: 'proxy-environment-variables' } }] }],
            },
          },
        },
      },
      restorePatch: {
        spec: { template: { spec: { containers: [{ name: 'aws-node', envFrom: [] }] } } },
      },
    });
    patch.node.addDependency(configMap);
  }
}

if (require.main === module) {
  const app = new App();
  new PlainClusterStack(app, 'PlainPrivateEksCluster');
  app.synth();
}
