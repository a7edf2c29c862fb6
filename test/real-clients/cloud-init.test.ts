/**
 * Check 1: the launch templates' user data, read by cloud-init 22.4's own MIME processing
 * (cloudinit.user_data.UserDataProcessor + cloudinit.handlers.walk), has a text/cloud-boothook part
 * that cloud-init runs as a boothook and an application/node.eks.aws part with a valid NodeConfig.
 */
import { cloudInitParts } from './support/cloudinit';
import { cleanupSynth, deployments, launchTemplates, manifests } from './support/examples';
import { NODECONFIG_CONTENT_TYPE, parseNodeConfig } from './support/nodeconfig';
import { requireCloudInit } from './support/proc';
import { PROXY_VARIABLES } from './support/sandbox';

beforeAll(() => requireCloudInit());
afterAll(() => cleanupSynth());

const proxied = deployments((e) => e.hasProxy);

describe.each(proxied.map((d) => [d.label, d] as const))('%s', (_label, d) => {
  const lts = launchTemplates(d);

  test('has one launch template with user data', () => {
    expect(lts).toHaveLength(1);
    expect(lts[0].userData).toBeDefined();
  });

  test('cloud-init finds a boothook part and a NodeConfig part', () => {
    const parts = cloudInitParts(lts[0].userData!);
    expect(parts.map((p) => p.contentType)).toEqual(['text/cloud-boothook', NODECONFIG_CONTENT_TYPE]);
    const boothook = parts[0];
    // cloud-init writes the part to a file with mode 0700 and executes it: it needs a shebang.
    expect(boothook.boothookMode).toBe('0o700');
    expect(boothook.boothookScript).toMatch(/^#!\/bin\/bash\n/);
    expect(boothook.boothookScript).toBe(boothook.payload);
  });

  test('the NodeConfig is nodeadm v1alpha1 with the proxy environment, same as the ConfigMap', () => {
    const parts = cloudInitParts(lts[0].userData!);
    const docs = parseNodeConfig(parts.find((p) => p.contentType === NODECONFIG_CONTENT_TYPE)!.payload);
    expect(docs).toHaveLength(1);
    const nc = docs[0];
    expect(nc.apiVersion).toBe('node.eks.aws/v1alpha1');
    expect(nc.kind).toBe('NodeConfig');
    // A launch template without an AMI id: EKS merges the cluster fields, so the part must not set them.
    expect(nc.spec.cluster).toBeUndefined();
    const env = nc.spec.instance.environment.default;
    expect(Object.keys(env).sort()).toEqual([...PROXY_VARIABLES].sort());
    for (const v of Object.values(env)) {
      expect(typeof v).toBe('string');
      expect(v).not.toMatch(/\$\{Token|Fn::|\{"Ref"/);
    }
    expect(env.HTTP_PROXY).toBe(env.http_proxy);
    expect(env.HTTPS_PROXY).toBe(env.https_proxy);
    expect(env.NO_PROXY).toBe(env.no_proxy);
    expect(env.NO_PROXY).toContain(`.${d.region}.eks.${d.urlSuffix}`);
    const configMap = manifests(d).find((m) => m.kind === 'ConfigMap');
    expect(configMap.data).toEqual(env);
  });
});

describe('closed-network (no proxy)', () => {
  test.each(deployments((e) => !e.hasProxy).map((d) => [d.label, d] as const))('%s: no proxy parts in user data', (_l, d) => {
    for (const lt of launchTemplates(d)) {
      if (lt.userData === undefined) {
        continue;
      }
      const parts = cloudInitParts(lt.userData);
      expect(parts.filter((p) => p.contentType === 'text/cloud-boothook' || p.contentType === NODECONFIG_CONTENT_TYPE)).toEqual([]);
      expect(lt.userData).not.toMatch(/proxy/i);
    }
  });
});
