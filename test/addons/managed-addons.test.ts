/** EKS managed add-ons from the catalogue (lib/addons): their endpoints, their errors, the patch lifecycle. */
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  AddonProfile,
  EndpointPresets,
  EndpointService,
  EndpointSet,
  ManagedAddonOptions,
  PrivateEksClusterProps,
  ProxySettings,
} from '../../lib';
import { PROXY_PATCH_REVISION_ANNOTATION } from '../../lib/manifests/proxy-patch';
import { validationErrorOf } from '../support/errors';
import { proxiedCluster } from '../support/cluster';

/** `build` throws our error, naming `prop`, with a message matching `message`. */
function expectValidationError(build: () => unknown, prop: string, message: RegExp): void {
  const error = validationErrorOf(build);
  expect(error.prop).toBe(prop);
  expect(error.message).toMatch(message);
}

const PROXY = ProxySettings.fromUrl('http://proxy.corp.example:3128');

/** A cluster without proxy unless `props` sets one; `ownSet` builds an EndpointSet passed as `endpoints`. */
function build(props: Partial<PrivateEksClusterProps> = {}, ownSet?: (vpc: ec2.Vpc, stack: Stack) => EndpointSet) {
  const { stack, cluster } = proxiedCluster((s, vpc) => ({ proxy: undefined, endpoints: ownSet?.(vpc, s), ...props }));
  return { stack, cluster, template: () => Template.fromStack(stack) };
}

/** The applied patch of a workload, parsed from the KubernetesPatch custom resource. */
function patchOf(template: Template, resourceName: string): { apply: any; restore: any; dependsOn: string[] } {
  const found = Object.values(
    template.findResources('Custom::AWSCDK-EKS-KubernetesPatch', { Properties: { ResourceName: resourceName } }),
  ) as any[];
  expect(found).toHaveLength(1);
  const json = (v: any) => JSON.parse(typeof v === 'string' ? v : v['Fn::Join'][1].join(''));
  return {
    apply: json(found[0].Properties.ApplyPatchJson),
    restore: json(found[0].Properties.RestorePatchJson),
    dependsOn: found[0].DependsOn ?? [],
  };
}

function withVpcCni(options: Partial<ManagedAddonOptions> = {}) {
  return build({ proxy: PROXY, addons: [{ addon: AddonProfile.VPC_CNI, ...options }] });
}

describe('the patch lifecycle', () => {
  test('without add-ons or revision the patches carry no revision annotation (templates unchanged)', () => {
    const { apply, restore } = patchOf(build({ proxy: PROXY }).template(), 'daemonset/aws-node');
    expect(apply.metadata).toBeUndefined();
    expect(restore.metadata).toBeUndefined();
  });

  test('the vpc-cni add-on ties the aws-node patch: it depends on the add-on and names its version', () => {
    const t = withVpcCni({ version: 'v1.20.4-eksbuild.1' }).template();
    const addons = t.findResources('AWS::EKS::Addon');
    expect(Object.values(addons).map((a: any) => a.Properties)).toEqual([
      expect.objectContaining({
        AddonName: 'vpc-cni',
        AddonVersion: 'v1.20.4-eksbuild.1',
        ResolveConflicts: 'OVERWRITE',
      }),
    ]);
    const { apply, restore, dependsOn } = patchOf(t, 'daemonset/aws-node');
    expect(apply.metadata.annotations[PROXY_PATCH_REVISION_ANNOTATION]).toBe('vpc-cni@v1.20.4-eksbuild.1');
    expect(restore.metadata.annotations[PROXY_PATCH_REVISION_ANNOTATION]).toBeNull();
    expect(dependsOn).toEqual(expect.arrayContaining([Object.keys(addons)[0]]));
    // kube-proxy is not tied to vpc-cni.
    expect(patchOf(t, 'daemonset/kube-proxy').apply.metadata).toBeUndefined();
  });

  test("changing the add-on's version or configuration changes the patch custom resource's properties", () => {
    const props = (o: Partial<ManagedAddonOptions>) =>
      Object.values(
        withVpcCni(o)
          .template()
          .findResources('Custom::AWSCDK-EKS-KubernetesPatch', {
            Properties: { ResourceName: 'daemonset/aws-node' },
          }),
      )[0].Properties;
    const v1 = props({ version: 'v1.20.4-eksbuild.1' });
    const v2 = props({ version: 'v1.20.5-eksbuild.1' });
    const configured = props({ version: 'v1.20.5-eksbuild.1', configurationValues: { env: { WARM_IP_TARGET: '5' } } });
    const reconfigured = props({
      version: 'v1.20.5-eksbuild.1',
      configurationValues: { env: { WARM_IP_TARGET: '6' } },
    });
    expect(v1.ApplyPatchJson).not.toEqual(v2.ApplyPatchJson);
    expect(configured.ApplyPatchJson).not.toEqual(v2.ApplyPatchJson);
    expect(configured.ApplyPatchJson).not.toEqual(reconfigured.ApplyPatchJson);
    // Only the object's annotation changes, not the pod template: pods roll only when envFrom was lost.
    const template = (p: any) => JSON.parse(p.ApplyPatchJson).spec;
    expect(template(v1)).toEqual(template(v2));
    expect(props({ version: 'v1.20.5-eksbuild.1' })).toEqual(v2);
  });

  test('an add-on added after the cluster ties the patch too', () => {
    const { cluster, template } = build({ proxy: PROXY });
    cluster.addAddon({ addon: AddonProfile.KUBE_PROXY, version: 'v1.35.0-eksbuild.2' });
    const { apply } = patchOf(template(), 'daemonset/kube-proxy');
    expect(apply.metadata.annotations[PROXY_PATCH_REVISION_ANNOTATION]).toBe('kube-proxy@v1.35.0-eksbuild.2');
  });

  test('proxyPatchRevision re-applies every patch on demand', () => {
    const one = build({ proxy: PROXY, proxyPatchRevision: '2026-12-03' }).template();
    const two = build({ proxy: PROXY, proxyPatchRevision: '2026-12-04' }).template();
    for (const name of ['daemonset/aws-node', 'daemonset/kube-proxy']) {
      expect(patchOf(one, name).apply.metadata.annotations[PROXY_PATCH_REVISION_ANNOTATION]).toBe(
        'revision=2026-12-03',
      );
      expect(patchOf(one, name).apply).not.toEqual(patchOf(two, name).apply);
    }
  });
});

describe('the add-on catalogue', () => {
  test("the cluster's own EndpointSet gets each add-on's services, and NO_PROXY their hosts", () => {
    const { cluster, template } = build({
      proxy: PROXY,
      addons: [
        { addon: AddonProfile.EBS_CSI_DRIVER },
        { addon: AddonProfile.EFS_CSI_DRIVER },
        { addon: AddonProfile.CLOUDWATCH_OBSERVABILITY },
        { addon: AddonProfile.POD_IDENTITY_AGENT },
        { addon: AddonProfile.COREDNS },
      ],
      selfInstalledAddons: [AddonProfile.AWS_LOAD_BALANCER_CONTROLLER, AddonProfile.CLUSTER_AUTOSCALER],
    });
    const names = (Object.values(template().findResources('AWS::EC2::VPCEndpoint')) as any[])
      .filter((e) => e.Properties.VpcEndpointType === 'Interface')
      .map((e) => JSON.stringify(e.Properties.ServiceName));
    for (const service of [
      'elasticfilesystem',
      'monitoring',
      'logs',
      'eks-auth',
      'elasticloadbalancing',
      'autoscaling',
    ]) {
      expect(names.some((n) => n.includes(`.${service}`))).toBe(true);
    }
    expect(cluster.noProxy).toEqual(
      expect.arrayContaining(['elasticfilesystem.us-east-1.amazonaws.com', 'monitoring.us-east-1.amazonaws.com']),
    );
    expect(Object.keys(template().findResources('AWS::EKS::Addon'))).toHaveLength(5);
    // Behind endpoints, the pod identity agent needs no proxy: it is not patched.
    template().resourceCountIs('Custom::AWSCDK-EKS-KubernetesPatch', 2);
  });

  test('with an EndpointSet of your own, a missing service fails synth naming it', () => {
    expectValidationError(
      () =>
        build(
          { proxy: PROXY, addons: [{ addon: AddonProfile.EFS_CSI_DRIVER }] },
          (vpc, stack) => new EndpointSet(stack, 'Endpoints', { vpc, services: EndpointPresets.minimal() }),
        ),
      'addons',
      /aws-efs-csi-driver, which calls elasticfilesystem: .*its pods do not read the proxy.*Add 'elasticfilesystem'/,
    );
  });

  test('behind a proxy, the pod identity agent without an eks-auth endpoint is patched to read it', () => {
    const { template } = build(
      { proxy: PROXY, addons: [{ addon: AddonProfile.POD_IDENTITY_AGENT, version: 'v1.3.4' }] },
      (vpc, stack) => new EndpointSet(stack, 'Endpoints', { vpc, services: EndpointPresets.minimal() }),
    );
    const { apply } = patchOf(template(), 'daemonset/eks-pod-identity-agent');
    expect(apply.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['eks-pod-identity-agent']);
    expect(apply.metadata.annotations[PROXY_PATCH_REVISION_ANNOTATION]).toBe('eks-pod-identity-agent@v1.3.4');
  });

  test('without a proxy, an add-on added later names the prop that creates its endpoints', () => {
    const { cluster } = build({ endpointServices: EndpointPresets.minimal() });
    expectValidationError(
      () => cluster.addAddon({ addon: AddonProfile.POD_IDENTITY_AGENT }),
      'addons',
      /eks-auth: .*the cluster has no proxy.*List it in the addons prop/,
    );
  });

  test('a service with no VPC endpoint needs the proxy (ExternalDNS: Route 53)', () => {
    expectValidationError(
      () => build({ selfInstalledAddons: [AddonProfile.EXTERNAL_DNS] }),
      'selfInstalledAddons',
      /external-dns, which calls route53: no VPC endpoint serves it and the cluster has no proxy/,
    );
    const { stack } = build({ proxy: PROXY, selfInstalledAddons: [AddonProfile.EXTERNAL_DNS] });
    Annotations.fromStack(stack).hasInfo('*', Match.stringLikeRegexp('external-dns reaches route53 through the proxy'));
  });

  test('a Helm-installed profile is not a managed add-on, and an add-on is added once', () => {
    expectValidationError(
      () => build({ addons: [{ addon: AddonProfile.AWS_LOAD_BALANCER_CONTROLLER }] }),
      'addons',
      /aws-load-balancer-controller, which is not an EKS managed add-on/,
    );
    expectValidationError(
      () => build({ addons: [{ addon: AddonProfile.COREDNS }, { addon: AddonProfile.COREDNS }] }),
      'addons',
      /coredns twice/,
    );
  });

  test('a custom profile is checked like the catalogue', () => {
    const profile = AddonProfile.custom('my-controller', [EndpointService.interfaceService('sqs')]);
    const { cluster } = build({ endpointServices: EndpointPresets.minimal() });
    expectValidationError(
      () => cluster.addSelfInstalledAddon(profile),
      'selfInstalledAddons',
      /my-controller, which calls sqs/,
    );
  });
});
