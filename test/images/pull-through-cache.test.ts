/** The ECR pull through cache (lib/images/pull-through-cache.ts): rules, the node grant, image names, errors. */
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Stack } from 'aws-cdk-lib';
import { PullThroughCache, PullThroughCacheUpstream } from '../../lib';
import { testStack } from '../support/cdk';
import { validationErrorOf } from '../support/errors';

function dockerHubSecret(stack: Stack, name = 'ecr-pullthroughcache/docker-hub'): secretsmanager.ISecret {
  return secretsmanager.Secret.fromSecretNameV2(stack, `S-${name}`, name);
}

function cacheOf(stack: Stack): PullThroughCache {
  return new PullThroughCache(stack, 'Cache', {
    upstreams: [
      PullThroughCacheUpstream.dockerHub(dockerHubSecret(stack)),
      PullThroughCacheUpstream.ecrPublic(),
      PullThroughCacheUpstream.kubernetes(),
      PullThroughCacheUpstream.quay({ prefix: 'mirrors/quay' }),
    ],
  });
}

test('one rule per upstream, with the URL ECR syncs from and the credentials only where the upstream needs them', () => {
  const stack = testStack('eu-west-1');
  cacheOf(stack);
  const template = Template.fromStack(stack);
  const rules = Object.values(template.findResources('AWS::ECR::PullThroughCacheRule')).map((r: any) => r.Properties);
  expect(rules).toEqual(
    [
      {
        EcrRepositoryPrefix: 'docker-hub',
        UpstreamRegistryUrl: 'registry-1.docker.io',
        CredentialArn: expect.anything(),
      },
      { EcrRepositoryPrefix: 'ecr-public', UpstreamRegistryUrl: 'public.ecr.aws' },
      { EcrRepositoryPrefix: 'k8s', UpstreamRegistryUrl: 'registry.k8s.io' },
      { EcrRepositoryPrefix: 'mirrors/quay', UpstreamRegistryUrl: 'quay.io' },
    ].map((r) => expect.objectContaining(r)),
  );
  expect(JSON.stringify(stack.resolve(rules[0].CredentialArn))).toContain('secret:ecr-pullthroughcache/docker-hub');
  expect(rules.slice(1).every((r) => r.CredentialArn === undefined)).toBe(true);
});

test('grantPull: import and create only under the rules’ prefixes, the token on *, nothing else', () => {
  const stack = testStack('eu-west-1');
  const cache = cacheOf(stack);
  const role = new iam.Role(stack, 'NodeRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  cache.grantPull(role);
  const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')) as any[];
  const statements = stack.resolve(policy.Properties.PolicyDocument.Statement);
  expect(statements).toEqual([
    { Action: 'ecr:GetAuthorizationToken', Effect: 'Allow', Resource: '*' },
    {
      Action: [
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchGetImage',
        'ecr:GetDownloadUrlForLayer',
        'ecr:BatchImportUpstreamImage',
        'ecr:CreateRepository',
      ],
      Effect: 'Allow',
      Resource: ['docker-hub', 'ecr-public', 'k8s', 'mirrors/quay'].map((prefix) => ({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecr:eu-west-1:111122223333:repository/${prefix}/*`]],
      })),
    },
  ]);
});

describe('imageUri', () => {
  test.each([
    ['nginx:1.27', '111122223333.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/nginx:1.27'],
    ['docker.io/bitnami/redis', '111122223333.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/bitnami/redis'],
    ['registry.k8s.io/pause:3.10', '111122223333.dkr.ecr.eu-west-1.amazonaws.com/k8s/pause:3.10'],
    [
      'public.ecr.aws/eks-distro/kubernetes/pause:3.9',
      '111122223333.dkr.ecr.eu-west-1.amazonaws.com/ecr-public/eks-distro/kubernetes/pause:3.9',
    ],
    [
      'quay.io/prometheus/node-exporter:v1.8.2',
      '111122223333.dkr.ecr.eu-west-1.amazonaws.com/mirrors/quay/prometheus/node-exporter:v1.8.2',
    ],
  ])('%s is %s', (image, uri) => {
    const stack = testStack('eu-west-1');
    expect(stack.resolve(cacheOf(stack).imageUri(image))).toBe(uri);
  });

  test('an env-agnostic stack gives a name resolved by CloudFormation (account, region and suffix as data)', () => {
    const stack = testStack();
    expect(stack.resolve(cacheOf(stack).imageUri('nginx'))).toEqual({
      'Fn::Join': [
        '',
        [
          { Ref: 'AWS::AccountId' },
          '.dkr.ecr.',
          { Ref: 'AWS::Region' },
          '.',
          { Ref: 'AWS::URLSuffix' },
          '/docker-hub/library/nginx',
        ],
      ],
    });
  });

  test.each([
    ['ghcr.io/org/app:1', /on ghcr.io, which this cache has no rule for/],
    ["nginx';id", /is not an image reference/],
    ['Nginx', /is not an image reference/],
  ])('%s is refused naming the image', (image, why) => {
    const stack = testStack('eu-west-1');
    const cache = cacheOf(stack);
    const error = validationErrorOf(() => cache.imageUri(image));
    expect(error.prop).toBe('image');
    expect(error.message).toMatch(why);
  });
});

describe('refused at synth, naming the prop', () => {
  test.each<[string, (stack: Stack) => PullThroughCacheUpstream[], string, RegExp]>([
    ['no upstream', () => [], 'upstreams', /is empty/],
    [
      'a prefix ECR refuses',
      () => [PullThroughCacheUpstream.quay({ prefix: 'Quay!' })],
      'upstreams[0].prefix',
      /not an ECR repository prefix/,
    ],
    [
      'a prefix too short',
      () => [PullThroughCacheUpstream.quay({ prefix: 'q' })],
      'upstreams[0].prefix',
      /not an ECR repository prefix/,
    ],
    [
      'a prefix too long',
      () => [PullThroughCacheUpstream.quay({ prefix: 'q'.repeat(31) })],
      'upstreams[0].prefix',
      /not an ECR repository prefix/,
    ],
    [
      'two rules for one registry',
      () => [PullThroughCacheUpstream.quay(), PullThroughCacheUpstream.quay({ prefix: 'quay2' })],
      'upstreams[1]',
      /repeats the registry of upstreams\[0\]/,
    ],
    [
      'two rules with one prefix',
      () => [
        PullThroughCacheUpstream.quay({ prefix: 'cache' }),
        PullThroughCacheUpstream.kubernetes({ prefix: 'cache' }),
      ],
      'upstreams[1]',
      /repeats the prefix of upstreams\[0\]/,
    ],
    [
      'a credentials secret ECR cannot use',
      (stack) => [PullThroughCacheUpstream.dockerHub(dockerHubSecret(stack, 'docker-hub-creds'))],
      'upstreams[0].credentials',
      /'docker-hub-creds', whose name does not begin with 'ecr-pullthroughcache\/'/,
    ],
  ])('%s', (_name, upstreams, prop, why) => {
    const stack = testStack('eu-west-1');
    const error = validationErrorOf(() => new PullThroughCache(stack, 'Cache', { upstreams: upstreams(stack) }));
    expect(error.prop).toBe(prop);
    expect(error.message).toMatch(why);
    expect(error.message).toContain('Test/Cache');
  });
});
