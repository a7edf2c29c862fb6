/**
 * Container image references as containerd and Docker read them (the grammar and normalisation of
 * github.com/distribution/reference, `reference.go` and `normalize.go`): pure, no CDK.
 */

/** One path component: lower-case alphanumerics separated by `.`, `_`, `__` or dashes. */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
/** A registry host: DNS labels (or an IPv4 address), optional `:port`. Bracketed IPv6 is not accepted here. */
const DOMAIN =
  '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);

/** The longest image name (registry and path), as distribution/reference allows. */
const NAME_MAX_LENGTH = 255;

/** Docker Hub's registry as image names spell it (`index.docker.io` is an old alias). */
export const DOCKER_HUB = 'docker.io';

/** An image reference split and normalised: `nginx` is `docker.io`, `library/nginx`, no tag. */
export interface ImageReference {
  /** The registry host as image names spell it, e.g. `docker.io`, `registry.k8s.io`. */
  readonly registry: string;
  /** The repository path inside the registry, e.g. `library/nginx`. */
  readonly path: string;
  /** The tag, when given. */
  readonly tag?: string;
  /** The digest (`sha256:...`), when given. */
  readonly digest?: string;
}

/** Parse and normalise an image reference, or return why it is not one. */
export function parseImageReference(image: string): ImageReference | string {
  const m = REFERENCE.exec(image);
  if (!m) {
    return `'${image}' is not an image reference (registry/path:tag or @digest, lower-case path)`;
  }
  const [, name, tag, digest] = m;
  if (name.length > NAME_MAX_LENGTH) {
    return `'${image}' has a name longer than ${NAME_MAX_LENGTH} characters`;
  }
  // normalize.go splitDockerDomain: the first component is a registry only when it looks like a host.
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isDomain =
    first !== '' &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let registry = isDomain ? first : DOCKER_HUB;
  let path = isDomain ? name.slice(slash + 1) : name;
  if (registry === 'index.docker.io') {
    registry = DOCKER_HUB;
  }
  if (registry === DOCKER_HUB && !path.includes('/')) {
    path = `library/${path}`;
  }
  return { registry, path, tag, digest };
}

/** The reference text of `ref` with another registry and path prefix: `<host>/<prefix>/<path>[:tag][@digest]`. */
export function formatImageReference(host: string, prefix: string, ref: ImageReference): string {
  return `${host}/${prefix}/${ref.path}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}
