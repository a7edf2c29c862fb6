/**
 * The egress proxy's domain allowlist, pure: normalisation to Squid's dstdomain form, validation of
 * the user's entries, and the defaults derived from the endpoint catalogue. Values may contain CDK
 * token markers (`${Token[...]}`), which pass through untouched.
 *
 * dstdomain semantics: squid.conf.documented of Squid 5.7 (a leading dot matches the domain and its
 * subdomains). NO_PROXY syntax differs (an entry without a dot already matches subdomains there).
 */

import { egressServices } from '../endpoints/services';

const TOKEN_MARKER = /\$\{Token\[[^\]]*\]\}/g;

function hasToken(s: string): boolean {
  return new RegExp(TOKEN_MARKER.source).test(s);
}

/** Lower-case the text outside token markers (a marker's case is part of its identity). */
function lowerOutsideTokens(s: string): string {
  let out = '';
  let last = 0;
  for (const m of s.matchAll(TOKEN_MARKER)) {
    out += s.slice(last, m.index).toLowerCase() + m[0];
    last = m.index! + m[0].length;
  }
  return out + s.slice(last).toLowerCase();
}

/**
 * One allowlist entry in Squid's dstdomain form: trimmed, lower-case, `*.example.com` written as
 * `.example.com` (Squid's "this domain and its subdomains"), no trailing dot.
 */
export function normaliseDomain(domain: string): string {
  let d = lowerOutsideTokens(domain.trim());
  if (d.startsWith('*.')) {
    d = d.slice(1);
  }
  if (d.endsWith('.') && d.length > 1) {
    d = d.slice(0, -1);
  }
  return d;
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Why an allowlist entry is not a domain Squid can match, or undefined when it is fine. Entries with
 * CDK tokens are not checked (their value is known at deploy time only).
 */
export function domainProblem(domain: string): string | undefined {
  if (hasToken(domain)) {
    return undefined;
  }
  if (/\s/.test(domain.trim()) || domain.trim() === '') {
    return domain.trim() === '' ? 'is an empty string' : `'${domain}' contains white space`;
  }
  const d = normaliseDomain(domain);
  if (/[/:@?#]/.test(d) && !/^[0-9a-f:.]+$/.test(d)) {
    return `'${domain}' is a URL, or has a port or credentials; give only the host name`;
  }
  const bare = d.startsWith('.') ? d.slice(1) : d;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(bare) || bare.includes(':')) {
    return `'${domain}' is an IP address; the allowlist matches DNS names only (IP destinations are refused)`;
  }
  if (bare.length === 0 || bare.length > 253) {
    return `'${domain}' is not a DNS name (1 to 253 characters)`;
  }
  const labels = bare.split('.');
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad !== undefined) {
    return `'${domain}' is not a DNS name (the label '${bad}' is invalid; wildcards are allowed only as a leading '*.' or '.')`;
  }
  if (d.startsWith('.') && labels.length < 2) {
    return `'${domain}' allows a whole top-level domain`;
  }
  return undefined;
}

/** True when dstdomain entry `a` matches every name entry `b` matches (`a` is `.x` and `b` is `x` or ends with `.x`). */
export function domainCovers(a: string, b: string): boolean {
  return a !== b && a.startsWith('.') && (b === a.slice(1) || b.endsWith(a));
}

/** Labels of an entry, a token marker counting as one. */
function labelCount(d: string): number {
  return d.replace(TOKEN_MARKER, 'T').replace(/^\./, '').split('.').length;
}

/**
 * Normalise, de-duplicate, and drop every entry another one already covers: Squid refuses a dstdomain
 * list that holds both `x` and `.x` (FATAL "Bungled"), or `a.x` before `.x`, and warns about `a.x`
 * after `.x` (seen with `squid -k parse`, Squid 5.7). Comparison is textual, which is exact for
 * identical token markers (`.s3.${Token[R]}...` covers `bucket.s3.${Token[R]}...` whatever R is).
 * Wildcard entries come first, broadest first, so that an overlap only visible after deployment (a
 * token against a literal) is at worst a warning; names keep their order.
 */
export function normaliseDomains(domains: string[]): string[] {
  const unique = [...new Set(domains.map(normaliseDomain))];
  const kept = unique.filter((d) => !unique.some((other) => domainCovers(other, d)));
  const wildcards = kept
    .filter((d) => d.startsWith('.'))
    .map((d, i) => ({ d, i, n: labelCount(d) }))
    .sort((x, y) => x.n - y.n || x.i - y.i)
    .map((x) => x.d);
  return [...wildcards, ...kept.filter((d) => !d.startsWith('.'))];
}

/**
 * The default allowlist, derived from the endpoint catalogue (`egressServices()` in
 * endpoints/services.ts, which says why each service is there): the regional hosts of each service in
 * Squid's dstdomain form, with a leading dot when clients call names under the host (the ECR registry's
 * ACCOUNT.dkr.ecr..., S3's BUCKET.s3...). A host that has an endpoint is in the cluster's NO_PROXY and
 * never reaches the proxy. The legacy global S3 name (no region in it) is left out: only the gateway
 * endpoint serves it.
 *
 * Public registries (docker.io, quay.io, ghcr.io, public.ecr.aws) are not included: add them with
 * `allowedDomains`.
 *
 * @param region the region, or a token
 * @param urlSuffix `amazonaws.com`, `amazonaws.com.cn`, or a token
 */
export function defaultEgressDomains(region: string, urlSuffix: string): string[] {
  return egressServices().flatMap((service) =>
    service
      .hostNames(region, urlSuffix)
      .filter((host) => host.includes(`.${region}.`))
      .map((host) => (service.subdomains ? `.${host}` : host)),
  );
}
