/**
 * The example apps, synthesized once per test file into a temporary cdk.out, and the artefacts the
 * real clients consume, with CloudFormation intrinsics resolved for concrete test regions.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { ChinaRegionStack } from '../../../examples/china-region/app';
import { ClosedNetworkStack } from '../../../examples/closed-network/app';
import { ProxyClusterStack } from '../../../examples/proxy-cluster/app';
import { IntrinsicResolver, partitionOf, resourcesOfType } from './intrinsics';
import { removeDir, tempDir } from './proc';

/** One example app and the regions its template is resolved for. */
export interface ExampleSpec {
  /** The folder under examples/. */
  readonly key: 'proxy-cluster' | 'closed-network' | 'china-region';
  /** The stack id the example's own app uses. */
  readonly stackId: string;
  /** Regions to resolve for: two commercial ones when env-agnostic, the stack's own when concrete. */
  readonly regions: string[];
  /** Whether the example configures a proxy. */
  readonly hasProxy: boolean;
  /** The account of a stack with a concrete environment. */
  readonly account?: string;
}

export const EXAMPLES: readonly ExampleSpec[] = [
  { key: 'proxy-cluster', stackId: 'PrivateEksProxyExample', regions: ['us-east-1', 'eu-west-1'], hasProxy: true },
  { key: 'closed-network', stackId: 'PrivateEksClosedNetworkExample', regions: ['us-east-1'], hasProxy: false },
  { key: 'china-region', stackId: 'PrivateEksChinaExample', regions: ['cn-northwest-1'], hasProxy: true, account: '111122223333' },
];

/** The account used for env-agnostic stacks (concrete stacks keep their own). */
export const TEST_ACCOUNT = '123456789012';

const ROOT = path.resolve(__dirname, '..', '..', '..');

let synthCache: { outdir: string; templates: Record<string, any> } | undefined;

/**
 * Synthesize the three examples (asset staging off) into a temporary directory and read the
 * `*.template.json` files back. Memoized for the test file; call `cleanupSynth()` in afterAll.
 */
export function synthExamples(): Record<string, any> {
  if (!synthCache) {
    const outdir = tempDir('synth');
    const chinaContext = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'china-region', 'cdk.context.json'), 'utf8'));
    const app = new App({ outdir, context: { 'aws:cdk:disable-asset-staging': true, ...chinaContext } });
    new ProxyClusterStack(app, 'PrivateEksProxyExample');
    new ClosedNetworkStack(app, 'PrivateEksClosedNetworkExample');
    new ChinaRegionStack(app, 'PrivateEksChinaExample');
    app.synth();
    const templates: Record<string, any> = {};
    for (const spec of EXAMPLES) {
      templates[spec.key] = JSON.parse(fs.readFileSync(path.join(outdir, `${spec.stackId}.template.json`), 'utf8'));
    }
    synthCache = { outdir, templates };
  }
  return synthCache.templates;
}

/** Remove the synthesized output. */
export function cleanupSynth(): void {
  removeDir(synthCache?.outdir);
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
        example, region, partition, urlSuffix, template,
        resolver: new IntrinsicResolver(template, { region, account: example.account ?? TEST_ACCOUNT, stackName: example.stackId }),
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
  return resourcesOfType(d.template, 'Custom::AWSCDK-EKS-KubernetesResource')
    .flatMap(([, r]) => JSON.parse(d.resolver.resolveString(r.Properties.Manifest)));
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
