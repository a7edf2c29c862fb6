/**
 * The example apps, synthesized once per test file into a temporary cdk.out, and the artefacts the
 * real clients consume, with CloudFormation intrinsics resolved for concrete test regions.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXAMPLE_APPS, ExampleKey, exampleApp } from '../../support/example-apps';
import { testApp } from '../../support/cdk';
import { IntrinsicResolver, partitionOf, resourcesOfType } from './intrinsics';
import { removeDir, tempDir } from './proc';
import { SYNTH_DIR_VARIABLE } from './synth-dir';

/** A node family the library supports. */
export type Family = 'AL2023' | 'AL2' | 'BOTTLEROCKET';

/**
 * How a group's nodes join: `managed` (EKS managed node group on the EKS AMI: EKS merges the cluster
 * details into the user data), `pinned` (managed node group on a custom AMI: the user data carries the
 * cluster details) or `self-managed` (Auto Scaling group: cluster details, labels/taints, ready signal).
 */
export type Management = 'managed' | 'pinned' | 'self-managed';

/** A node group an example declares, written down here from the example's source (not from the template). */
export interface GroupSpec {
  /** The construct id, e.g. `SelfManagedAl2023` (its launch template is `Cluster<id>LaunchTemplate<hash>`). */
  readonly id: string;
  readonly family: Family;
  readonly management: Management;
  /** Kubelet labels the example gives a self-managed group. */
  readonly labels?: Record<string, string>;
  /** Taints (`key=value:Effect`) the example gives a self-managed group. */
  readonly taints?: string[];
  /**
   * A Karpenter EC2NodeClass named `id`, not a launch template: its nodes join like managed ones (Karpenter
   * writes the cluster fields), its user data is the manifest's `spec.userData`.
   */
  readonly karpenterNodeClass?: boolean;
}

/**
 * Proxy instances an example runs itself (EgressProxy): an Auto Scaling group of Squid instances whose
 * launch template is `<id>LaunchTemplate<hash>`. They are not node groups: their user data is a plain
 * shell script that installs Squid.
 */
export interface ProxyInstancesSpec {
  /** The construct id, e.g. `EgressProxy`. */
  readonly id: string;
}

/** Proxy credentials an example keeps in Secrets Manager (ProxyCredentials.fromSecret). */
export interface CredentialsSpec {
  /** The construct id of the secret, e.g. `ProxyCredentials` (its logical id is `<id><hash>`). */
  readonly secretId: string;
  /** The JSON keys the example uses (the defaults unless it says otherwise). */
  readonly usernameKey: string;
  readonly passwordKey: string;
}

/**
 * What the stub Secrets Manager returns in the tests: a user name and a password with every character
 * that URL userinfo and systemd treat specially (`%`, `$`, `:`, `@`). The encoded form is written
 * down here by hand (RFC 3986 percent-encoding), not computed, so the boothook's encoding is checked.
 */
export const TEST_PROXY_USERNAME = 'svc-eks';
export const TEST_PROXY_PASSWORD = 'S3cr3t%Pa$$:word@';
export const TEST_PROXY_USERINFO = 'svc-eks:S3cr3t%25Pa%24%24%3Aword%40';

/** One example app and the regions its template is resolved for. */
export interface ExampleSpec {
  /** A unique name: the folder under examples/, or folder-variant when the folder exports several stacks. */
  readonly key: ExampleKey;
  /** The stack id the example's own app uses (from the registry, test/support/example-apps.ts). */
  readonly stackId: string;
  /**
   * Regions to resolve for: the stack's own when concrete; for an env-agnostic stack one commercial region, or two
   * (us-east-1 and another) where the region changes what is rendered.
   */
  readonly regions: string[];
  /** Whether the example configures a proxy. */
  readonly hasProxy: boolean;
  /** EKS Auto Mode: nodes on the cluster's NodeClass, no node groups, no aws-node/kube-proxy patches. */
  readonly autoMode?: boolean;
  /** The registries its Amazon Linux 2023 nodes mirror on the cluster's image cache, if it has one. */
  readonly registryMirrors?: string[];
  /** The CA bundle file of a TLS-inspecting proxy (relative to the repository), if the example has one. */
  readonly caBundleFile?: string;
  /** The account of a stack with a concrete environment. */
  readonly account?: string;
  /** A host under the example's own NO_PROXY entry (e.g. `.corp.example`), which must go direct. */
  readonly userNoProxyHost?: string;
  /** Every node group of the example: each launch template of the template must be one of these (or proxy instances). */
  readonly groups: GroupSpec[];
  /** Proxy instances the example runs (their launch templates are not node groups). */
  readonly proxyInstances?: ProxyInstancesSpec[];
  /** Proxy credentials from Secrets Manager. */
  readonly credentials?: CredentialsSpec;
  /** Attribute values the template is resolved with (see DeployTarget.attributes). */
  readonly attributes?: ReadonlyArray<{
    readonly logicalIdPrefix: string;
    readonly attribute: string;
    readonly value: string;
  }>;
}

const WORKERS: GroupSpec[] = [{ id: 'Workers', family: 'AL2023', management: 'managed' }];

export const EXAMPLES: readonly ExampleSpec[] = [
  {
    key: 'auto-mode',
    stackId: exampleApp('auto-mode').stackId,
    regions: ['us-east-1', 'eu-west-1'],
    hasProxy: true,
    autoMode: true,
    userNoProxyHost: 'git.corp.example',
    groups: [],
  },
  {
    key: 'proxy-cluster',
    stackId: exampleApp('proxy-cluster').stackId,
    regions: ['us-east-1', 'eu-west-1'],
    hasProxy: true,
    userNoProxyHost: 'git.corp.example',
    groups: WORKERS,
  },
  {
    key: 'tls-inspecting-proxy',
    stackId: exampleApp('tls-inspecting-proxy').stackId,
    regions: ['us-east-1'],
    hasProxy: true,
    caBundleFile: 'examples/tls-inspecting-proxy/corp-root-ca.pem',
    userNoProxyHost: 'git.corp.example',
    groups: [
      { id: 'Workers', family: 'AL2023', management: 'managed' },
      { id: 'Rockets', family: 'BOTTLEROCKET', management: 'managed' },
    ],
  },
  {
    key: 'closed-network',
    stackId: exampleApp('closed-network').stackId,
    regions: ['us-east-1'],
    hasProxy: false,
    registryMirrors: ['registry.k8s.io', 'quay.io'],
    groups: WORKERS,
  },
  {
    key: 'china-region',
    stackId: exampleApp('china-region').stackId,
    regions: ['cn-northwest-1'],
    hasProxy: true,
    account: '111122223333',
    groups: WORKERS,
  },
  {
    key: 'node-families',
    stackId: exampleApp('node-families').stackId,
    regions: ['us-east-1'],
    hasProxy: true,
    userNoProxyHost: 'git.corp.example',
    groups: [
      { id: 'Al2023', family: 'AL2023', management: 'managed' },
      { id: 'Bottlerocket', family: 'BOTTLEROCKET', management: 'managed' },
      { id: 'Pinned', family: 'AL2023', management: 'pinned' },
      { id: 'SelfManagedAl2023', family: 'AL2023', management: 'self-managed', labels: { pool: 'self-managed' } },
      {
        id: 'SelfManagedBottlerocket',
        family: 'BOTTLEROCKET',
        management: 'self-managed',
        taints: ['dedicated=batch:NoSchedule'],
      },
    ],
  },
  {
    key: 'node-families-al2',
    stackId: exampleApp('node-families-al2').stackId,
    regions: ['us-east-1'],
    hasProxy: true,
    userNoProxyHost: 'git.corp.example',
    groups: [
      { id: 'Al2', family: 'AL2', management: 'managed' },
      { id: 'SelfManagedAl2', family: 'AL2', management: 'self-managed' },
    ],
  },
  {
    key: 'authenticated-proxy',
    stackId: exampleApp('authenticated-proxy').stackId,
    regions: ['us-east-1'],
    hasProxy: true,
    userNoProxyHost: 'git.corp.example',
    groups: WORKERS,
    credentials: { secretId: 'ProxyCredentials', usernameKey: 'username', passwordKey: 'password' },
  },
  {
    key: 'addons',
    stackId: exampleApp('addons').stackId,
    regions: ['us-east-1'],
    hasProxy: true,
    userNoProxyHost: 'git.corp.example',
    groups: WORKERS,
  },
  {
    key: 'karpenter',
    stackId: exampleApp('karpenter').stackId,
    // One region, as most examples: its EC2NodeClasses are region-agnostic in form, and proxy-cluster covers both.
    regions: ['eu-west-1'],
    hasProxy: true,
    userNoProxyHost: 'git.corp.example',
    groups: [
      { id: 'Controllers', family: 'AL2023', management: 'managed' },
      { id: 'cdk-private-eks-al2023', family: 'AL2023', management: 'managed', karpenterNodeClass: true },
      { id: 'cdk-private-eks-bottlerocket', family: 'BOTTLEROCKET', management: 'managed', karpenterNodeClass: true },
    ],
  },
  {
    key: 'egress-proxy',
    stackId: exampleApp('egress-proxy').stackId,
    regions: ['us-east-1'],
    hasProxy: true,
    groups: WORKERS,
    proxyInstances: [{ id: 'EgressProxy' }],
    // The nodes' proxy is the internal NLB's DNS name (ProxySettings.fromHost with the token).
    attributes: [
      {
        logicalIdPrefix: 'EgressProxyLoadBalancer',
        attribute: 'DNSName',
        value: 'internal-egress-0123456789.{region}.elb.{urlSuffix}',
      },
    ],
  },
];

/** The account used for env-agnostic stacks (concrete stacks keep their own). */
export const TEST_ACCOUNT = '123456789012';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Synthesize every example (asset staging off) into `outdir`. */
export function synthesizeExamples(outdir: string): void {
  const chinaContext = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'examples', 'china-region', 'cdk.context.json'), 'utf8'),
  );
  const app = testApp({ outdir, context: chinaContext });
  for (const example of EXAMPLE_APPS) {
    example.build(app);
  }
  app.synth();
}

let synthCache: { outdir: string; own: boolean; templates: Record<string, any> } | undefined;

/**
 * The examples' `*.template.json`, read from the cdk.out the global setup synthesized once for the run
 * (SYNTH_DIR_VARIABLE), or, for a test file run without it, synthesized into a temporary directory of its
 * own. Memoized for the test file; call `cleanupSynth()` in afterAll.
 */
export function synthExamples(): Record<string, any> {
  if (!synthCache) {
    const shared = process.env[SYNTH_DIR_VARIABLE];
    const own = !(shared && fs.existsSync(path.join(shared, 'manifest.json')));
    const outdir = own ? tempDir('synth') : shared!;
    if (own) {
      synthesizeExamples(outdir);
    }
    const templates: Record<string, any> = {};
    for (const spec of EXAMPLES) {
      templates[spec.key] = JSON.parse(fs.readFileSync(path.join(outdir, `${spec.stackId}.template.json`), 'utf8'));
    }
    synthCache = { outdir, own, templates };
  }
  return synthCache.templates;
}

/** The synthesized cdk.out directory (synthesizing first if needed). */
export function synthOutdir(): string {
  synthExamples();
  return synthCache!.outdir;
}

/** Forget the synthesized output, and remove it when this test file synthesized it. */
export function cleanupSynth(): void {
  if (synthCache?.own) {
    removeDir(synthCache.outdir);
  }
  synthCache = undefined;
}

/** One example resolved for one region. */
export interface Deployment {
  readonly example: ExampleSpec;
  readonly region: string;
  readonly partition: string;
  readonly urlSuffix: string;
  readonly template: any;
  readonly resolver: IntrinsicResolver;
  /** e.g. `proxy-cluster @ us-east-1`. */
  readonly label: string;
}

/** Every example × region. */
export function deployments(filter: (e: ExampleSpec) => boolean = () => true): Deployment[] {
  const templates = synthExamples();
  const out: Deployment[] = [];
  for (const example of EXAMPLES.filter(filter)) {
    for (const region of example.regions) {
      const { partition, urlSuffix } = partitionOf(region);
      const template = templates[example.key];
      out.push({
        example,
        region,
        partition,
        urlSuffix,
        template,
        resolver: new IntrinsicResolver(template, {
          region,
          account: example.account ?? TEST_ACCOUNT,
          stackName: example.stackId,
          attributes: example.attributes,
        }),
        label: `${example.key} @ ${region}`,
      });
    }
  }
  return out;
}

/** The launch templates of a deployment with their user data, base64-decoded (undefined when absent). */
export function launchTemplates(d: Deployment): Array<{ logicalId: string; userData?: string }> {
  return resourcesOfType(d.template, 'AWS::EC2::LaunchTemplate').map(([logicalId, r]) => {
    const ud = r.Properties?.LaunchTemplateData?.UserData;
    return {
      logicalId,
      userData: ud === undefined ? undefined : Buffer.from(d.resolver.resolveString(ud), 'base64').toString('utf8'),
    };
  });
}

/** The Kubernetes objects of every `Custom::AWSCDK-EKS-KubernetesResource` (resolved, parsed). */
export function manifests(d: Deployment): any[] {
  return resourcesOfType(d.template, 'Custom::AWSCDK-EKS-KubernetesResource').flatMap(([, r]) =>
    JSON.parse(d.resolver.resolveString(r.Properties.Manifest)),
  );
}

/** A `Custom::AWSCDK-EKS-KubernetesPatch`, resolved. */
export interface PatchResource {
  readonly logicalId: string;
  readonly resourceName: string;
  readonly namespace: string;
  readonly patchType: string;
  readonly applyPatchJson: string;
  readonly restorePatchJson: string;
}

export function patches(d: Deployment): PatchResource[] {
  return resourcesOfType(d.template, 'Custom::AWSCDK-EKS-KubernetesPatch').map(([logicalId, r]) => {
    const p = d.resolver.resolve(r.Properties);
    return {
      logicalId,
      resourceName: p.ResourceName,
      namespace: p.ResourceNamespace ?? 'default',
      patchType: p.PatchType,
      applyPatchJson: p.ApplyPatchJson,
      restorePatchJson: p.RestorePatchJson,
    };
  });
}

/** The VPC CIDR and the Kubernetes service CIDR of the (only) cluster, resolved. */
export function networkOf(d: Deployment): { vpcCidr: string; serviceCidr: string } {
  const vpcs = resourcesOfType(d.template, 'AWS::EC2::VPC');
  const clusters = resourcesOfType(d.template, 'AWS::EKS::Cluster');
  if (vpcs.length !== 1 || clusters.length !== 1) {
    throw new Error(`${d.label}: expected one VPC and one cluster, found ${vpcs.length} and ${clusters.length}`);
  }
  return {
    vpcCidr: d.resolver.resolveString(vpcs[0][1].Properties.CidrBlock),
    serviceCidr: d.resolver.resolveString(clusters[0][1].Properties.KubernetesNetworkConfig.ServiceIpv4Cidr),
  };
}

/** The cluster's join details, resolved: what a node that joins without the EKS API must be given. */
export interface ClusterFacts {
  readonly logicalId: string;
  readonly name: string;
  /** https://... */
  readonly endpoint: string;
  /** Base64, as EKS returns it. */
  readonly certificateAuthority: string;
  readonly serviceCidr: string;
}

export function clusterOf(d: Deployment): ClusterFacts {
  const clusters = resourcesOfType(d.template, 'AWS::EKS::Cluster');
  if (clusters.length !== 1) {
    throw new Error(`${d.label}: expected one cluster, found ${clusters.length}`);
  }
  const [logicalId] = clusters[0];
  return {
    logicalId,
    name: d.resolver.resolveString({ Ref: logicalId }),
    endpoint: d.resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'Endpoint'] }),
    certificateAuthority: d.resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'CertificateAuthorityData'] }),
    serviceCidr: networkOf(d).serviceCidr,
  };
}

/** How the user data of a launch template is written. */
export type UserDataFormat = 'mime' | 'toml' | 'none';

/** One node group of a deployment: its launch template, who uses it, and what the template says it is. */
export interface NodeGroup {
  readonly d: Deployment;
  readonly spec: GroupSpec;
  /** e.g. `node-families @ us-east-1 / SelfManagedAl2023`. */
  readonly label: string;
  /** The launch template's logical id (for a Karpenter EC2NodeClass, its manifest's). */
  readonly launchTemplateId: string;
  /**
   * The AWS::EKS::Nodegroup or AWS::AutoScaling::AutoScalingGroup that uses the launch template (for a Karpenter
   * EC2NodeClass, its manifest).
   */
  readonly owner: { readonly logicalId: string; readonly type: string };
  /** The management the template shows: a Nodegroup with an AMI type, a Nodegroup on an image id, an ASG. */
  readonly templateManagement: Management;
  /** The family the template shows (AMI type, or the image's public SSM parameter), if it shows one. */
  readonly templateFamily?: Family;
  /** How the user data is written: MIME multi-part, a bare document (Bottlerocket TOML), or none. */
  readonly format: UserDataFormat;
  /** The user data, base64-decoded. */
  readonly userData?: string;
}

/** The expected user-data format of a family: Amazon Linux reads MIME (cloud-init), Bottlerocket TOML. */
export function formatOfFamily(family: Family): UserDataFormat {
  return family === 'BOTTLEROCKET' ? 'toml' : 'mime';
}

function familyOfAmiType(amiType: string): Family | undefined {
  if (amiType.startsWith('AL2023_')) {
    return 'AL2023';
  }
  if (amiType.startsWith('AL2_')) {
    return 'AL2';
  }
  return amiType.startsWith('BOTTLEROCKET_') ? 'BOTTLEROCKET' : undefined;
}

/** The family of a public AMI SSM parameter (EKS user guide / Bottlerocket QUICKSTART-EKS names). */
function familyOfImageParameter(name: string): Family | undefined {
  if (/^\/aws\/service\/eks\/optimized-ami\/[^/]+\/amazon-linux-2023\//.test(name)) {
    return 'AL2023';
  }
  if (/^\/aws\/service\/eks\/optimized-ami\/[^/]+\/amazon-linux-2(-arm64)?\//.test(name)) {
    return 'AL2';
  }
  return /^\/aws\/service\/bottlerocket\/aws-k8s-/.test(name) ? 'BOTTLEROCKET' : undefined;
}

/**
 * Every launch template of a deployment, matched to the example's declared groups (by construct id)
 * and to the resource that uses it. Throws when a launch template matches no declared group (a new
 * group in the example must be added to EXAMPLES) or a declared group has no launch template.
 */
export function nodeGroups(d: Deployment): NodeGroup[] {
  const owners = [
    ...resourcesOfType(d.template, 'AWS::EKS::Nodegroup'),
    ...resourcesOfType(d.template, 'AWS::AutoScaling::AutoScalingGroup'),
  ];
  const lts = launchTemplates(d).filter((lt) => proxyInstancesSpecOf(d, lt.logicalId) === undefined);
  const out: NodeGroup[] = [];
  for (const lt of lts) {
    const specs = d.example.groups.filter((g) => lt.logicalId.startsWith(`Cluster${g.id}LaunchTemplate`));
    if (specs.length !== 1) {
      throw new Error(
        `${d.label}: launch template ${lt.logicalId} matches ${specs.length} declared groups; declare every group ` +
          '(or proxy instances) in support/examples.ts',
      );
    }
    const spec = specs[0];
    const users = owners.filter(([, r]) => {
      const ref = r.Properties?.LaunchTemplate?.Id ?? r.Properties?.LaunchTemplate?.LaunchTemplateId;
      return ref?.Ref === lt.logicalId;
    });
    if (users.length !== 1) {
      throw new Error(
        `${d.label}: launch template ${lt.logicalId} is used by ${users.length} node groups, expected one`,
      );
    }
    const [ownerId, owner] = users[0];
    const ltData = d.template.Resources[lt.logicalId].Properties.LaunchTemplateData;
    const image = ltData.ImageId === undefined ? undefined : d.resolver.resolveString(ltData.ImageId);
    let templateManagement: Management;
    let templateFamily: Family | undefined;
    if (owner.Type === 'AWS::AutoScaling::AutoScalingGroup') {
      templateManagement = 'self-managed';
      templateFamily = image === undefined ? undefined : familyOfImageParameter(image);
    } else if (owner.Properties.AmiType !== undefined) {
      templateManagement = image === undefined ? 'managed' : 'pinned';
      templateFamily = familyOfAmiType(owner.Properties.AmiType);
    } else {
      templateManagement = 'pinned';
      templateFamily = image === undefined ? undefined : familyOfImageParameter(image);
    }
    const format: UserDataFormat =
      lt.userData === undefined ? 'none' : /^Content-Type: multipart\//i.test(lt.userData) ? 'mime' : 'toml';
    out.push({
      d,
      spec,
      label: `${d.label} / ${spec.id}`,
      launchTemplateId: lt.logicalId,
      owner: { logicalId: ownerId, type: owner.Type },
      templateManagement,
      templateFamily,
      format,
      userData: lt.userData,
    });
  }
  out.push(...karpenterNodeClasses(d));
  const missing = d.example.groups.filter((g) => !out.some((n) => n.spec === g));
  if (missing.length > 0) {
    throw new Error(`${d.label}: declared groups without a launch template: ${missing.map((g) => g.id).join(', ')}`);
  }
  return out;
}

/** Karpenter's AMI aliases (EC2NodeClass `amiSelectorTerms`) by family. */
const ALIAS_FAMILIES: Record<string, Family> = { 'al2023@latest': 'AL2023', 'bottlerocket@latest': 'BOTTLEROCKET' };

/**
 * The Karpenter EC2NodeClasses of a deployment as node groups, matched to the example's declared node classes
 * by name; throws on an EC2NodeClass the example does not declare.
 */
function karpenterNodeClasses(d: Deployment): NodeGroup[] {
  const out: NodeGroup[] = [];
  for (const [logicalId, r] of resourcesOfType(d.template, 'Custom::AWSCDK-EKS-KubernetesResource')) {
    const objects: any[] = JSON.parse(d.resolver.resolveString(r.Properties.Manifest));
    for (const o of objects.filter((x) => x.kind === 'EC2NodeClass')) {
      const spec = d.example.groups.find((g) => g.karpenterNodeClass && g.id === o.metadata.name);
      if (!spec) {
        throw new Error(`${d.label}: EC2NodeClass ${o.metadata.name} is not declared in support/examples.ts`);
      }
      const userData: string | undefined = o.spec.userData;
      out.push({
        d,
        spec,
        label: `${d.label} / ${spec.id}`,
        launchTemplateId: logicalId,
        owner: { logicalId, type: r.Type },
        templateManagement: 'managed',
        templateFamily: ALIAS_FAMILIES[o.spec.amiSelectorTerms?.[0]?.alias],
        format: userData === undefined ? 'none' : /^MIME-Version: 1.0\n/.test(userData) ? 'mime' : 'toml',
        userData,
      });
    }
  }
  return out;
}

/** Every node group of every (filtered) deployment. */
export function allNodeGroups(filter: (g: NodeGroup) => boolean = () => true): NodeGroup[] {
  return deployments().flatMap(nodeGroups).filter(filter);
}

/** The resolved service names of the deployment's VPC endpoints, e.g. `com.amazonaws.us-east-1.cloudformation`. */
export function endpointServiceNames(d: Deployment): string[] {
  return resourcesOfType(d.template, 'AWS::EC2::VPCEndpoint').map(([, r]) =>
    d.resolver.resolveString(r.Properties.ServiceName),
  );
}

/**
 * Whether the instance role of a group's launch template may call cloudformation:SignalResource on
 * the stack (cfn-signal and Bottlerocket's cfsignal sign with the instance role's credentials).
 */
export function roleMaySignal(g: NodeGroup): boolean {
  const res = g.d.template.Resources;
  const profileRef = res[g.launchTemplateId].Properties.LaunchTemplateData.IamInstanceProfile?.Arn?.['Fn::GetAtt']?.[0];
  const roles: string[] = (res[profileRef]?.Properties?.Roles ?? []).map((r: any) => r.Ref);
  const stackId = g.d.resolver.resolveString({ Ref: 'AWS::StackId' });
  return resourcesOfType(g.d.template, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles ?? []).some((r: any) => roles.includes(r.Ref)))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
    .some(
      (s: any) =>
        s.Effect === 'Allow' &&
        [s.Action].flat().includes('cloudformation:SignalResource') &&
        [s.Resource].flat().some((r: any) => ['*', stackId].includes(g.d.resolver.resolve(r))),
    );
}

function proxyInstancesSpecOf(d: Deployment, launchTemplateId: string): ProxyInstancesSpec | undefined {
  return (d.example.proxyInstances ?? []).find((p) => launchTemplateId.startsWith(`${p.id}LaunchTemplate`));
}

/** Proxy instances of a deployment (EgressProxy): a launch template used by an Auto Scaling group. */
export interface ProxyInstances {
  readonly d: Deployment;
  readonly spec: ProxyInstancesSpec;
  /** e.g. `egress-proxy @ us-east-1 / EgressProxy (proxy instances)`. */
  readonly label: string;
  readonly launchTemplateId: string;
  /** The Auto Scaling group that uses the launch template. */
  readonly owner: { readonly logicalId: string; readonly type: string };
  /** The image the launch template names (resolved: an SSM parameter name or an AMI id). */
  readonly image?: string;
  /** The user data, base64-decoded. */
  readonly userData?: string;
}

/**
 * The proxy instances of a deployment, matched to the example's declared `proxyInstances` and to the
 * resource that uses each launch template. Throws when a declared one has no launch template or a
 * launch template is not used by exactly one resource.
 */
export function proxyInstances(d: Deployment): ProxyInstances[] {
  const owners = [
    ...resourcesOfType(d.template, 'AWS::EKS::Nodegroup'),
    ...resourcesOfType(d.template, 'AWS::AutoScaling::AutoScalingGroup'),
  ];
  const out: ProxyInstances[] = [];
  for (const lt of launchTemplates(d)) {
    const spec = proxyInstancesSpecOf(d, lt.logicalId);
    if (!spec) {
      continue;
    }
    const users = owners.filter(([, r]) => {
      const ref = r.Properties?.LaunchTemplate?.Id ?? r.Properties?.LaunchTemplate?.LaunchTemplateId;
      return ref?.Ref === lt.logicalId;
    });
    if (users.length !== 1) {
      throw new Error(`${d.label}: launch template ${lt.logicalId} is used by ${users.length} resources, expected one`);
    }
    const ltData = d.template.Resources[lt.logicalId].Properties.LaunchTemplateData;
    out.push({
      d,
      spec,
      label: `${d.label} / ${spec.id} (proxy instances)`,
      launchTemplateId: lt.logicalId,
      owner: { logicalId: users[0][0], type: users[0][1].Type },
      image: ltData.ImageId === undefined ? undefined : d.resolver.resolveString(ltData.ImageId),
      userData: lt.userData,
    });
  }
  const missing = (d.example.proxyInstances ?? []).filter((p) => !out.some((o) => o.spec === p));
  if (missing.length > 0) {
    throw new Error(
      `${d.label}: declared proxy instances without a launch template: ${missing.map((p) => p.id).join(', ')}`,
    );
  }
  return out;
}

/** The proxy credentials of a deployment, resolved: the secret's ARN as the nodes read it. */
export interface ResolvedCredentials {
  readonly spec: CredentialsSpec;
  readonly secretLogicalId: string;
  /** `Ref` of the secret: its ARN. */
  readonly secretArn: string;
}

export function credentialsOf(d: Deployment): ResolvedCredentials | undefined {
  const spec = d.example.credentials;
  if (!spec) {
    return undefined;
  }
  const secrets = resourcesOfType(d.template, 'AWS::SecretsManager::Secret').filter(([id]) =>
    new RegExp(`^${spec.secretId}[0-9A-F]{8}$`).test(id),
  );
  if (secrets.length !== 1) {
    throw new Error(`${d.label}: expected one secret ${spec.secretId}, found ${secrets.length}`);
  }
  const [secretLogicalId] = secrets[0];
  return { spec, secretLogicalId, secretArn: d.resolver.resolveString({ Ref: secretLogicalId }) };
}

/**
 * Whether the deployment's VPC has an endpoint for a regional service (`ec2`, `ecr.api`, `s3`, ...):
 * without one, a node in an isolated subnet reaches that service only through the proxy.
 */
export function hasEndpoint(d: Deployment, service: string): boolean {
  return endpointServiceNames(d).some((n) => n.endsWith(`.${d.region}.${service}`));
}

/** The properties of every resource of one type, resolved for the deployment. */
export function resourcesOfTypeIn(d: Deployment, type: string): any[] {
  return resourcesOfType(d.template, type).map(([, r]) => d.resolver.resolve(r.Properties ?? {}));
}
