import { Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { RegistryMirrors } from '../nodes/user-data/family';
import { DOCKER_HUB, formatImageReference, parseImageReference } from '../private/image-reference';
import { acknowledgeNag, nagResourceText } from '../private/nag';
import { regionAndSuffix } from '../private/partition';
import { invalid } from '../private/validation';

/** Options for one upstream registry of a pull through cache. */
export interface PullThroughCacheUpstreamOptions {
  /**
   * The ECR repository prefix the upstream's images are cached under: 2 to 30 characters, lower-case
   * components separated by `/`, each of letters and digits joined by `.`, `_` or `-` (ECR
   * CreatePullThroughCacheRule, `ecrRepositoryPrefix`).
   *
   * @default the upstream's usual name: `docker-hub`, `ecr-public`, `k8s`, `quay`, `github`, `gitlab`
   */
  readonly prefix?: string;
}

/**
 * An upstream registry that ECR pull through cache can sync from, as the ECR user guide lists them
 * ("Sync an upstream registry with an Amazon ECR private registry",
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html): ECR Public, the Kubernetes
 * registry and Quay without authentication; Docker Hub, GitHub and GitLab with a Secrets Manager secret whose
 * name begins with `ecr-pullthroughcache/`. The upstream URLs are those of the API reference
 * (CreatePullThroughCacheRule, `upstreamRegistryUrl`).
 */
export class PullThroughCacheUpstream {
  /**
   * Docker Hub (`registry-1.docker.io`), for images named `docker.io/...` or without a registry (`nginx`).
   *
   * @param credentials the Secrets Manager secret with `username` and `accessToken` for Docker Hub; its name
   * must begin with `ecr-pullthroughcache/`
   * @param options the repository prefix
   */
  public static dockerHub(
    credentials: secretsmanager.ISecret,
    options: PullThroughCacheUpstreamOptions = {},
  ): PullThroughCacheUpstream {
    return new PullThroughCacheUpstream(
      DOCKER_HUB,
      'registry-1.docker.io',
      options.prefix ?? 'docker-hub',
      credentials,
    );
  }

  /**
   * Amazon ECR Public (`public.ecr.aws`), no authentication.
   *
   * @param options the repository prefix
   */
  public static ecrPublic(options: PullThroughCacheUpstreamOptions = {}): PullThroughCacheUpstream {
    return new PullThroughCacheUpstream('public.ecr.aws', 'public.ecr.aws', options.prefix ?? 'ecr-public');
  }

  /**
   * The Kubernetes registry (`registry.k8s.io`), no authentication.
   *
   * @param options the repository prefix
   */
  public static kubernetes(options: PullThroughCacheUpstreamOptions = {}): PullThroughCacheUpstream {
    return new PullThroughCacheUpstream('registry.k8s.io', 'registry.k8s.io', options.prefix ?? 'k8s');
  }

  /**
   * Quay (`quay.io`), no authentication.
   *
   * @param options the repository prefix
   */
  public static quay(options: PullThroughCacheUpstreamOptions = {}): PullThroughCacheUpstream {
    return new PullThroughCacheUpstream('quay.io', 'quay.io', options.prefix ?? 'quay');
  }

  /**
   * GitHub Container Registry (`ghcr.io`).
   *
   * @param credentials the Secrets Manager secret with `username` and `accessToken`; its name must begin
   * with `ecr-pullthroughcache/`
   * @param options the repository prefix
   */
  public static githubContainerRegistry(
    credentials: secretsmanager.ISecret,
    options: PullThroughCacheUpstreamOptions = {},
  ): PullThroughCacheUpstream {
    return new PullThroughCacheUpstream('ghcr.io', 'ghcr.io', options.prefix ?? 'github', credentials);
  }

  /**
   * GitLab Container Registry (`registry.gitlab.com`, GitLab's SaaS offering only).
   *
   * @param credentials the Secrets Manager secret with `username` and `accessToken`; its name must begin
   * with `ecr-pullthroughcache/`
   * @param options the repository prefix
   */
  public static gitlabContainerRegistry(
    credentials: secretsmanager.ISecret,
    options: PullThroughCacheUpstreamOptions = {},
  ): PullThroughCacheUpstream {
    return new PullThroughCacheUpstream(
      'registry.gitlab.com',
      'registry.gitlab.com',
      options.prefix ?? 'gitlab',
      credentials,
    );
  }

  /** The registry host as image names spell it, e.g. `docker.io`. */
  public readonly registry: string;

  /** The registry URL ECR syncs from, e.g. `registry-1.docker.io`. */
  public readonly upstreamUrl: string;

  /** The ECR repository prefix the images are cached under. */
  public readonly prefix: string;

  /** The secret ECR authenticates to the upstream with, where it needs one. */
  public readonly credentials?: secretsmanager.ISecret;

  private constructor(registry: string, upstreamUrl: string, prefix: string, credentials?: secretsmanager.ISecret) {
    this.registry = registry;
    this.upstreamUrl = upstreamUrl;
    this.prefix = prefix;
    this.credentials = credentials;
  }
}

/** Properties of a `PullThroughCache`. */
export interface PullThroughCacheProps {
  /** The upstream registries to cache, at most one rule per registry and per prefix. */
  readonly upstreams: PullThroughCacheUpstream[];
}

/** ECR's repository prefix (CreatePullThroughCacheRule, `ecrRepositoryPrefix`: pattern, 2 to 30 characters). */
const PREFIX = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** The name ECR requires of an upstream's credentials secret (ECR user guide, "Creating a pull through cache rule"). */
const SECRET_NAME_PREFIX = 'ecr-pullthroughcache/';

/**
 * ECR pull through cache rules for public registries, so that nodes pull public images from the account's
 * private ECR registry: in a closed network they need only the ECR endpoints (and the S3 gateway) that
 * they already use; behind a proxy, image layers stay off the proxy. ECR fetches from the upstream on
 * AWS's side.
 *
 * Workloads name their images through `imageUri` (`nginx:1.27` becomes
 * `<account>.dkr.ecr.<region>.amazonaws.com/docker-hub/library/nginx:1.27`, the ECR user guide's "Pulling an
 * image with a pull through cache rule"); the nodes' ECR credential provider serves those names as it serves
 * any private ECR image. Give the nodes' roles `grantPull`: the first pull of an image creates its repository.
 */
export class PullThroughCache extends Construct {
  /** The cached upstream registries. */
  public readonly upstreams: PullThroughCacheUpstream[];

  constructor(scope: Construct, id: string, props: PullThroughCacheProps) {
    super(scope, id);
    const upstreams = props.upstreams ?? [];
    if (upstreams.length === 0) {
      invalid(
        this,
        'upstreams',
        'is empty',
        'Give at least one upstream, for example PullThroughCacheUpstream.ecrPublic()',
      );
    }
    const seen = new Map<string, string>();
    upstreams.forEach((upstream, i) => {
      const prop = `upstreams[${i}]`;
      if (!(upstream instanceof PullThroughCacheUpstream)) {
        invalid(
          this,
          prop,
          'is not a PullThroughCacheUpstream',
          'Use PullThroughCacheUpstream.dockerHub(secret), .ecrPublic(), ...',
        );
      }
      const { prefix, registry, credentials } = upstream;
      if (!Token.isUnresolved(prefix) && (prefix.length < 2 || prefix.length > 30 || !PREFIX.test(prefix))) {
        invalid(
          this,
          `${prop}.prefix`,
          `'${prefix}' is not an ECR repository prefix`,
          'Use 2 to 30 lower-case letters and digits, joined by ".", "_", "-" or "/", for example docker-hub',
        );
      }
      for (const [key, what] of [
        [`registry ${registry}`, 'registry'],
        [`prefix ${prefix}`, 'prefix'],
      ]) {
        if (seen.has(key)) {
          invalid(
            this,
            prop,
            `repeats the ${what} of ${seen.get(key)}`,
            'Give one rule per upstream registry, each with its own prefix',
          );
        }
        seen.set(key, prop);
      }
      if (
        credentials &&
        !Token.isUnresolved(credentials.secretName) &&
        !credentials.secretName.startsWith(SECRET_NAME_PREFIX)
      ) {
        invalid(
          this,
          `${prop}.credentials`,
          `is the secret '${credentials.secretName}', whose name does not begin with '${SECRET_NAME_PREFIX}' as ECR requires`,
          `Store the upstream credentials in a secret named ${SECRET_NAME_PREFIX}<name>, in this account and region`,
        );
      }
      new ecr.CfnPullThroughCacheRule(this, `Rule${i}`, {
        ecrRepositoryPrefix: prefix,
        upstreamRegistryUrl: upstream.upstreamUrl,
        credentialArn: credentials?.secretArn,
      });
    });
    this.upstreams = [...upstreams];
  }

  /**
   * Let `grantee` (a node role) pull through the cache: read the cached repositories, and on an image's first
   * pull import it from the upstream and create its repository (`ecr:BatchImportUpstreamImage`,
   * `ecr:CreateRepository`: ECR user guide, "IAM permissions required to sync an upstream registry"), each
   * scoped to the rules' prefixes.
   *
   * @param grantee the principal that pulls the images, e.g. a node group's role
   * @returns the grant
   */
  public grantPull(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    const repositories = this.upstreams.map((u) =>
      stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: `${u.prefix}/*` }),
    );
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      acknowledgeNag(
        principal,
        'AwsSolutions-IAM5[Resource::*]',
        'ecr:GetAuthorizationToken supports no resource-level permissions (Service Authorization Reference, Amazon ECR actions): the token it returns only authenticates; the repository statement decides what can be pulled',
      );
      for (const arn of repositories) {
        acknowledgeNag(
          principal,
          `AwsSolutions-IAM5[Resource::${nagResourceText(stack.resolve(arn))}]`,
          'A pull through cache creates one repository per upstream image at its first pull, under the rule prefix, so their names are not known in advance; the wildcard stays inside that prefix (ECR user guide, "Sync an upstream registry with an Amazon ECR private registry")',
        );
      }
    }
    iam.Grant.addToPrincipal({ grantee, actions: ['ecr:GetAuthorizationToken'], resourceArns: ['*'] });
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchGetImage',
        'ecr:GetDownloadUrlForLayer',
        'ecr:BatchImportUpstreamImage',
        'ecr:CreateRepository',
      ],
      resourceArns: repositories,
    });
  }

  /**
   * The name of `image` in the cache: `nginx:1.27` (Docker Hub) becomes
   * `<account>.dkr.ecr.<region>.<suffix>/docker-hub/library/nginx:1.27`, `registry.k8s.io/pause:3.10` becomes
   * `.../k8s/pause:3.10`. Tags and digests are kept.
   *
   * @param image an image reference on one of the cached registries
   * @returns the image reference in this account's private registry
   */
  public imageUri(image: string): string {
    if (Token.isUnresolved(image)) {
      invalid(this, 'image', 'is a token', 'Give the image name as text, for example docker.io/library/nginx:1.27');
    }
    const ref = parseImageReference(image);
    if (typeof ref === 'string') {
      invalid(this, 'image', ref, 'Give an image name such as nginx:1.27 or registry.k8s.io/pause:3.10');
    }
    const upstream = this.upstreams.find((u) => u.registry === ref.registry);
    if (!upstream) {
      invalid(
        this,
        'image',
        `'${image}' is on ${ref.registry}, which this cache has no rule for`,
        `Add an upstream for it, or use an image on ${this.upstreams.map((u) => u.registry).join(', ')}`,
      );
    }
    return formatImageReference(registryHost(this), upstream.prefix, ref);
  }
}

/**
 * The registries of `cache` that containerd can mirror on it (see lib/nodes/user-data/registry-mirrors.ts):
 * all but ECR Public, whose images the kubelet's credential provider answers with an ECR Public token.
 */
export function registryMirrorsOf(cache: PullThroughCache): RegistryMirrors {
  const host = registryHost(cache);
  return {
    region: regionAndSuffix(cache).region,
    mirrors: cache.upstreams
      .filter((u) => u.registry !== 'public.ecr.aws')
      .map((u) => ({
        registry: u.registry,
        server: `https://${u.upstreamUrl}`,
        endpoint: `https://${host}/v2/${u.prefix}`,
      })),
  };
}

/** The host of the account's private registry in the cache's stack: `<account>.dkr.ecr.<region>.<suffix>`. */
function registryHost(cache: PullThroughCache): string {
  const { region, urlSuffix } = regionAndSuffix(cache);
  return `${Stack.of(cache).account}.dkr.ecr.${region}.${urlSuffix}`;
}
