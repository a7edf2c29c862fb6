/**
 * Check 1: every launch template of every example is a declared node group, classified by its
 * family: Amazon Linux user data is MIME, read by cloud-init 22.4's own MIME processing
 * (cloudinit.user_data.UserDataProcessor + cloudinit.handlers.walk), with exactly the parts its family
 * and management need; Bottlerocket user data is a bare TOML document (see bottlerocket-settings.test.ts).
 *
 * Expected parts:
 * - AL2023 managed: boothook + NodeConfig (no cluster fields: EKS merges them);
 * - AL2023 pinned AMI: boothook + NodeConfig with spec.cluster;
 * - AL2023 self-managed: boothook + NodeConfig with spec.cluster and kubelet flags + the signal part;
 * - AL2 managed: boothook only (EKS merges its bootstrap.sh call);
 * - AL2 self-managed: boothook + bootstrap.sh part + the signal part.
 *
 * Proxy instances an example runs itself (EgressProxy's Squid Auto Scaling group) are recognised as
 * such, not as a node group: their user data is a plain shell script (not MIME), which cloud-init
 * must read as one text/x-shellscript part.
 */
import { MIRRORS_BOOTHOOK_MARKER } from '../../lib/nodes/user-data/registry-mirrors';
import { baseType, cloudInitParts, groupParts, quotedHeredocs, UserDataPart } from './support/cloudinit';
import {
  cleanupSynth,
  clusterOf,
  deployments,
  formatOfFamily,
  manifests,
  NodeGroup,
  nodeGroups,
  proxyInstances,
} from './support/examples';
import { resourcesOfType } from './support/intrinsics';
import { NODECONFIG_CONTENT_TYPE, parseNodeConfig } from './support/nodeconfig';
import { requireCloudInit } from './support/proc';

beforeAll(() => requireCloudInit());
afterAll(() => cleanupSynth());

const BOOTHOOK = 'text/cloud-boothook';
const SHELL = 'text/x-shellscript';
const SIGNAL_PROGRAM = '/usr/local/bin/cdk-private-eks-ready-signal';
const SIGNAL_UNIT = '/etc/systemd/system/cdk-private-eks-ready-signal.service';

/** The parts a group must have, in order, from its family and management. */
function expectedParts(g: NodeGroup): string[] {
  const { family, management } = g.spec;
  // A TLS-inspecting proxy's CA has a boothook of its own, first (lib/nodes/user-data/ca-bundle.ts).
  const ca = g.d.example.caBundleFile !== undefined ? [BOOTHOOK] : [];
  if (family === 'AL2023') {
    // The proxy boothook, then the registry mirrors' own (lib/nodes/user-data/registry-mirrors.ts).
    const boothooks = [...(g.d.example.hasProxy ? [BOOTHOOK] : []), ...(hasMirrors(g) ? [BOOTHOOK] : [])];
    return [...ca, ...boothooks, NODECONFIG_CONTENT_TYPE, ...(management === 'self-managed' ? [SHELL] : [])];
  }
  return [
    ...ca,
    BOOTHOOK,
    ...(management !== 'managed' ? [SHELL] : []),
    ...(management === 'self-managed' ? [SHELL] : []),
  ];
}

/** Whether an AL2023 group mirrors registries on the cluster's image cache. */
function hasMirrors(g: NodeGroup): boolean {
  return g.spec.family === 'AL2023' && (g.d.example.registryMirrors ?? []).length > 0;
}

/**
 * Kubelet flags for the example's labels and taints, written down from kubelet's flag syntax, and the
 * credential provider configuration of registry mirrors.
 */
function kubeletFlags(g: NodeGroup): string[] {
  const flags: string[] = [];
  const labels = Object.entries(g.spec.labels ?? {});
  if (labels.length > 0) {
    flags.push(`--node-labels=${labels.map(([k, v]) => `${k}=${v}`).join(',')}`);
  }
  if ((g.spec.taints ?? []).length > 0) {
    flags.push(`--register-with-taints=${g.spec.taints!.join(',')}`);
  }
  if (hasMirrors(g)) {
    flags.push('--image-credential-provider-config=/etc/eks/image-credential-provider/cdk-private-eks-config.json');
  }
  return flags;
}

describe.each(deployments().map((d) => [d.label, d] as const))('%s', (_label, d) => {
  const groups = nodeGroups(d);

  test('every launch template is a declared group; template and user data agree with its family', () => {
    expect(groups.map((g) => g.spec.id).sort()).toEqual(d.example.groups.map((g) => g.id).sort());
    for (const g of groups) {
      expect({ group: g.spec.id, management: g.templateManagement }).toEqual({
        group: g.spec.id,
        management: g.spec.management,
      });
      if (g.templateFamily !== undefined) {
        expect({ group: g.spec.id, family: g.templateFamily }).toEqual({ group: g.spec.id, family: g.spec.family });
      }
      // Without a proxy (or mirrors), a managed group on the EKS AMI needs no user data at all.
      const bare = !d.example.hasProxy && !hasMirrors(g) && g.spec.management === 'managed';
      const want = bare ? 'none' : formatOfFamily(g.spec.family);
      expect({ group: g.spec.id, format: g.format }).toEqual({ group: g.spec.id, format: want });
    }
  });
});

const mimeGroups = deployments()
  .flatMap(nodeGroups)
  .filter((g) => g.format === 'mime');

describe.each(mimeGroups.map((g) => [g.label, g] as const))('%s', (_label, g) => {
  let parts: UserDataPart[];
  beforeAll(() => {
    parts = groupParts(g);
  });
  const configMap = () => manifests(g.d).find((m) => m.kind === 'ConfigMap');

  test(`cloud-init finds the parts of ${g.spec.family} ${g.spec.management}`, () => {
    expect(parts.map((p) => baseType(p.contentType))).toEqual(expectedParts(g));
    const boothook = parts[0];
    // cloud-init writes the part to a file with mode 0700 and executes it: it needs a shebang.
    expect(boothook.boothookMode).toBe('0o700');
    expect(boothook.boothookScript).toMatch(/^#!\/bin\/bash\n/);
    expect(boothook.boothookScript).toBe(boothook.payload);
    for (const p of parts.filter((x) => baseType(x.contentType) === SHELL)) {
      // cloud-init runs text/x-shellscript parts as executables from scripts-user: a shebang too.
      expect(p.payload).toMatch(/^#!\/bin\/bash\n/);
    }
  });

  if (g.spec.family === 'AL2023') {
    test('the NodeConfig: nodeadm v1alpha1, the proxy environment (same as the ConfigMap), cluster and kubelet as the management needs', () => {
      const docs = parseNodeConfig(parts.find((p) => p.contentType === NODECONFIG_CONTENT_TYPE)!.payload);
      expect(docs).toHaveLength(1);
      const nc = docs[0];
      expect(nc.apiVersion).toBe('node.eks.aws/v1alpha1');
      expect(nc.kind).toBe('NodeConfig');
      if (g.spec.management === 'managed') {
        // A launch template without an AMI id: EKS merges the cluster fields, so the part must not set them.
        expect(nc.spec.cluster).toBeUndefined();
      } else {
        const c = clusterOf(g.d);
        expect(nc.spec.cluster).toEqual({
          name: c.name,
          apiServerEndpoint: c.endpoint,
          certificateAuthority: c.certificateAuthority,
          cidr: c.serviceCidr,
        });
      }
      if (kubeletFlags(g).length > 0) {
        expect(nc.spec.kubelet).toEqual({ flags: kubeletFlags(g) });
      } else {
        expect(nc.spec.kubelet).toBeUndefined();
      }
      if (!g.d.example.hasProxy) {
        expect(nc.spec.instance).toBeUndefined();
        return;
      }
      // The upper-case variables only: nodeadm (Go) reads them first; the boothook's drop-ins give both cases.
      const env = nc.spec.instance.environment.default;
      expect(Object.keys(env).sort()).toEqual(['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY']);
      for (const v of Object.values(env)) {
        expect(typeof v).toBe('string');
        expect(v).not.toMatch(/\$\{Token|Fn::|\{"Ref"/);
      }
      expect(env.NO_PROXY).toContain(`.${g.d.region}.eks.${g.d.urlSuffix}`);
      const data = configMap().data;
      expect(env).toEqual({ HTTP_PROXY: data.HTTP_PROXY, HTTPS_PROXY: data.HTTPS_PROXY, NO_PROXY: data.NO_PROXY });
    });
  }

  if (g.spec.family === 'AL2' && g.spec.management !== 'managed') {
    test('the bootstrap part calls /etc/eks/bootstrap.sh with the cluster details (argv checked in node-parts-sandbox)', () => {
      const script = parts[1].payload;
      const calls = script.split('\n').filter((l) => l.includes('/etc/eks/bootstrap.sh'));
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatch(/^\/etc\/eks\/bootstrap\.sh /);
      for (const flag of ['--apiserver-endpoint', '--b64-cluster-ca', '--dns-cluster-ip']) {
        expect(script.split(flag).length - 1).toBe(1);
      }
    });
  }

  if (g.spec.management === 'self-managed') {
    test('the signal part installs the signal program and its unit with quoted here-documents', () => {
      const signal = parts[parts.length - 1].payload;
      const files = quotedHeredocs(signal);
      expect(files.map((f) => f.path)).toEqual([SIGNAL_PROGRAM, SIGNAL_UNIT]);
      expect(files[0].body).toMatch(/^#!\/bin\/bash\n/);
      expect(files[0].body).toContain('/opt/aws/bin/cfn-signal');
      expect(files[1].body).toContain(`ExecStart=${SIGNAL_PROGRAM}\n`);
    });
  }
});

describe('Bottlerocket user data is not MIME', () => {
  const bottlerocket = deployments()
    .flatMap(nodeGroups)
    .filter((g) => g.spec.family === 'BOTTLEROCKET');

  test('there are Bottlerocket groups, managed and self-managed', () => {
    expect(new Set(bottlerocket.map((g) => g.spec.management))).toEqual(new Set(['managed', 'self-managed']));
  });

  test.each(bottlerocket.map((g) => [g.label, g] as const))('%s: a bare TOML document, no MIME headers', (_l, g) => {
    expect(g.format).toBe('toml');
    expect(g.userData).not.toMatch(/^(Content-Type|MIME-Version):/im);
    expect(g.userData).toMatch(/^\[settings\./);
  });
});

describe('closed-network (no proxy)', () => {
  test.each(deployments((e) => !e.hasProxy).map((d) => [d.label, d] as const))(
    '%s: no proxy parts in user data',
    (_l, d) => {
      for (const g of nodeGroups(d)) {
        if (g.userData === undefined) {
          continue;
        }
        const parts = cloudInitParts(g.userData);
        // Only the registry mirrors' boothook and its NodeConfig (kubelet flags, no environment), if any.
        const boothooks = parts.filter((p) => p.contentType === 'text/cloud-boothook');
        expect(boothooks.map((p) => p.payload.split('\n')[1])).toEqual(hasMirrors(g) ? [MIRRORS_BOOTHOOK_MARKER] : []);
        for (const p of parts.filter((x) => x.contentType === NODECONFIG_CONTENT_TYPE)) {
          expect(parseNodeConfig(p.payload).map((nc) => Object.keys(nc.spec))).toEqual([['kubelet']]);
        }
        expect(g.userData).not.toMatch(/proxy/i);
      }
    },
  );
});

describe('proxy instances are recognised as the proxy, not as a node group', () => {
  const withProxies = deployments((e) => (e.proxyInstances ?? []).length > 0);
  const all = withProxies.flatMap(proxyInstances);

  test('the egress-proxy example runs Squid instances', () => {
    expect(all.map((p) => p.label)).toEqual(['egress-proxy @ us-east-1 / EgressProxy (proxy instances)']);
  });

  describe.each(all.map((p) => [p.label, p] as const))('%s', (_l, p) => {
    const res = p.d.template.Resources;

    test('an Auto Scaling group on plain Amazon Linux 2023 (not an EKS AMI) behind the load balancer the nodes use as their proxy', () => {
      expect(p.owner.type).toBe('AWS::AutoScaling::AutoScalingGroup');
      expect(nodeGroups(p.d).map((g) => g.launchTemplateId)).not.toContain(p.launchTemplateId);
      expect(p.image).toMatch(/^\/aws\/service\/ami-amazon-linux-latest\/al2023-ami-/);
      // ASG -> target group <- listener -> load balancer.
      const targetGroups: string[] = res[p.owner.logicalId].Properties.TargetGroupARNs.map((t: any) => t.Ref);
      const listeners = resourcesOfType(p.d.template, 'AWS::ElasticLoadBalancingV2::Listener').filter(([, l]) =>
        l.Properties.DefaultActions.some((a: any) => targetGroups.includes(a.TargetGroupArn?.Ref)),
      );
      expect(listeners).toHaveLength(1);
      const lbId = listeners[0][1].Properties.LoadBalancerArn.Ref;
      expect(res[lbId].Properties).toMatchObject({ Type: 'network', Scheme: 'internal' });
      const lbDns = p.d.resolver.resolveString({ 'Fn::GetAtt': [lbId, 'DNSName'] });
      expect(lbDns).toBe(`internal-egress-0123456789.${p.d.region}.elb.amazonaws.com`);
      // The nodes' proxy (NodeConfig and ConfigMap) is that name.
      const port = listeners[0][1].Properties.Port;
      expect(manifests(p.d).find((m) => m.kind === 'ConfigMap').data.HTTPS_PROXY).toBe(`http://${lbDns}:${port}`);
      for (const g of nodeGroups(p.d).filter((x) => x.spec.family === 'AL2023' && x.format === 'mime')) {
        const nc = parseNodeConfig(groupParts(g).find((x) => x.contentType === NODECONFIG_CONTENT_TYPE)!.payload)[0];
        expect(nc.spec.instance.environment.default.HTTPS_PROXY).toBe(`http://${lbDns}:${port}`);
      }
    });

    test('cloud-init reads the user data as one text/x-shellscript part (a plain script, not MIME)', () => {
      expect(p.userData).toBeDefined();
      expect(p.userData).not.toMatch(/^(Content-Type|MIME-Version):/im);
      const parts = cloudInitParts(p.userData!);
      expect(parts.map((x) => baseType(x.contentType))).toEqual(['text/x-shellscript']);
      expect(parts[0].payload).toBe(p.userData);
      expect(parts[0].payload).toMatch(/^#!\/bin\/bash\n/);
      // No boothook, no NodeConfig: it is not a node.
      expect(p.userData).not.toContain('nodeadm');
      expect(p.userData).not.toContain('cdk-private-eks-proxy.conf');
    });
  });
});
