/** Registry mirrors on the ECR pull through cache (lib/nodes/user-data/registry-mirrors.ts) and their wiring. */
import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { parse } from 'smol-toml';
import * as YAML from 'yaml';
import { NodeFamily } from '../../../lib';
import { AL2023 } from '../../../lib/nodes/user-data/al2023';
import { BOTTLEROCKET_ECR_IMAGE_PATTERNS } from '../../../lib/nodes/user-data/bottlerocket';
import { RegistryMirrors, RenderedUserData } from '../../../lib/nodes/user-data/family';
import {
  CREDENTIAL_PROVIDER_CONFIG,
  CREDENTIAL_PROVIDER_FLAG,
  MIRRORS_BOOTHOOK_MARKER,
  renderCredentialProviderConfig,
  renderHostsToml,
  renderMirrorsBoothook,
} from '../../../lib/nodes/user-data/registry-mirrors';
import { testStack } from '../../support/cdk';
import { clusterWithImageCache } from '../../support/image-cache';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'nodeadm');
const HOST = '111122223333.dkr.ecr.eu-west-1.amazonaws.com';
const MIRRORS: RegistryMirrors = {
  region: 'eu-west-1',
  mirrors: [
    { registry: 'docker.io', server: 'https://registry-1.docker.io', endpoint: `https://${HOST}/v2/docker-hub` },
    { registry: 'registry.k8s.io', server: 'https://registry.k8s.io', endpoint: `https://${HOST}/v2/k8s` },
  ],
};

function mimeParts(r: RenderedUserData) {
  if (r.kind !== 'mime') {
    throw new Error('not MIME');
  }
  return r.parts;
}

test("hosts.toml: the upstream is the server, ECR with the rule's prefix the only host, pull and resolve, path overridden", () => {
  expect(parse(renderHostsToml(MIRRORS.mirrors[0]))).toEqual({
    server: 'https://registry-1.docker.io',
    host: { [`https://${HOST}/v2/docker-hub`]: { capabilities: ['pull', 'resolve'], override_path: true } },
  });
});

test("the credential provider configuration is nodeadm's own, plus the mirrored registries and the region", () => {
  const nodeadm = JSON.parse(
    fs.readFileSync(path.join(FIXTURES, 'expected-image-credential-provider-config.json'), 'utf8'),
  );
  const ours = JSON.parse(renderCredentialProviderConfig(MIRRORS));
  const [provider] = nodeadm.providers;
  expect(ours).toEqual({
    ...nodeadm,
    providers: [
      {
        ...provider,
        matchImages: [...provider.matchImages, 'docker.io', 'registry.k8s.io'],
        env: [{ name: 'AWS_REGION', value: 'eu-west-1' }],
      },
    ],
  });
});

test("the hosts.toml directory is the one nodeadm's containerd configuration names", () => {
  const template = fs.readFileSync(path.join(FIXTURES, 'containerd-config.template.toml'), 'utf8');
  expect(template).toContain('config_path = "/etc/containerd/certs.d:/etc/docker/certs.d"');
  expect(renderMirrorsBoothook(MIRRORS)).toContain("put '/etc/containerd/certs.d/docker.io/hosts.toml' <<'");
});

describe('AL2023 user data', () => {
  const parts = mimeParts(AL2023.render({ registryMirrors: MIRRORS }));

  test('a boothook of its own writes the files, and the NodeConfig points kubelet at the configuration', () => {
    expect(parts.map((p) => p.contentType)).toEqual([
      'text/cloud-boothook; charset="us-ascii"',
      'application/node.eks.aws',
    ]);
    expect(parts[0].body.split('\n')[1]).toBe(MIRRORS_BOOTHOOK_MARKER);
    expect(parts[0].body).toContain(`put '${CREDENTIAL_PROVIDER_CONFIG}' <<'`);
    expect(YAML.parse(parts[1].body).spec.kubelet.flags).toEqual([CREDENTIAL_PROVIDER_FLAG]);
  });

  test('no mirrors, no part', () => {
    expect(mimeParts(AL2023.render({ registryMirrors: { region: 'eu-west-1', mirrors: [] } }))).toEqual([]);
  });
});

describe('a cluster with an imageCache', () => {
  function cluster(family?: NodeFamily, version?: eks.KubernetesVersion) {
    const stack = testStack('eu-west-1');
    const { cluster: c } = clusterWithImageCache(stack, version);
    const group = c.addProxiedNodeGroup('Nodes', { family, instanceTypes: [new ec2.InstanceType('m7i.large')] });
    return { stack, group };
  }

  test('AL2023 nodes mirror every cached registry but ECR Public, and their role may pull through the cache', () => {
    const { stack, group } = cluster();
    const text = stack.resolve(group.userData!.render());
    const joined = typeof text === 'string' ? text : JSON.stringify(text);
    expect(joined).toContain('/etc/containerd/certs.d/registry.k8s.io/hosts.toml');
    expect(joined).toContain('/etc/containerd/certs.d/quay.io/hosts.toml');
    expect(joined).not.toContain('/etc/containerd/certs.d/public.ecr.aws');
    expect(joined).toContain(`${HOST}/v2/k8s`);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository']) }),
        ]),
      },
    });
  });

  test('Bottlerocket nodes mirror the same registries in their settings, read back by the TOML parser', () => {
    const { stack, group } = cluster(NodeFamily.BOTTLEROCKET);
    const toml = parse(stack.resolve(group.userData!.render())) as any;
    expect(toml.settings['container-registry'].mirrors).toEqual([
      { registry: 'registry.k8s.io', endpoint: [`https://${HOST}/v2/k8s`] },
      { registry: 'quay.io', endpoint: [`https://${HOST}/v2/quay`] },
    ]);
    expect(toml.settings.kubernetes['credential-providers']['ecr-credential-provider']).toEqual({
      enabled: true,
      'image-patterns': [...BOTTLEROCKET_ECR_IMAGE_PATTERNS, 'registry.k8s.io', 'quay.io'],
      environment: { AWS_REGION: 'eu-west-1' },
    });
    Annotations.fromStack(stack).hasNoWarning('/Test/Cluster/Nodes', Match.stringLikeRegexp('registry mirrors'));
  });

  test('Amazon Linux 2 nodes get no mirrors, and a warning saying how to name their images', () => {
    const { stack } = cluster(NodeFamily.AMAZON_LINUX_2, eks.KubernetesVersion.V1_32);
    Annotations.fromStack(stack).hasWarning(
      '/Test/Cluster/Nodes',
      Match.stringLikeRegexp('AL2 nodes get no registry mirrors.*PullThroughCache.imageUri'),
    );
  });
});
