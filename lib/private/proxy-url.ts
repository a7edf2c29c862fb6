/**
 * Pure parsing and checking of proxy URLs and NO_PROXY entries. No CDK imports: the
 * callers decide what to do with tokens (they skip these checks for unresolved values).
 */
import { ENDS_IN_A_NUMBER, IPV4, IPV6, matchesHost, matchesNoProxyEntry, matchesProxyUrl } from './proxy-grammar';
import { notAStringProblem } from './validation';

/** What is accepted is decided by proxy-grammar.ts (shared with the boot-time check); this file explains rejections. */
const IS_IPV4 = new RegExp(`^(${IPV4})$`);
const IS_IPV6 = new RegExp(`^(${IPV6})$`);
const ENDS_IN_NUMBER = new RegExp(ENDS_IN_A_NUMBER);

/**
 * What is wrong with a host (a DNS name, an IPv4 address, or an IPv6 address in brackets; no scheme,
 * credentials or port), or undefined when it is one. A dotted name of digits only must be a valid IPv4
 * address (`300.1.1.1` is neither), and a name may not end in a number (`proxy.1`, see `ENDS_IN_A_NUMBER`).
 * Beyond the shared grammar (which the boot-time check also applies), the name must be one the WHATWG URL
 * parser accepts (it refuses malformed punycode such as `xn--a`), as every proxy URL is also read by Node.
 */
export function hostProblem(host: unknown): string | undefined {
  if (typeof host !== 'string') {
    return notAStringProblem(host);
  }
  if (host === '') {
    return 'is an empty string';
  }
  if (matchesHost(host)) {
    return parsesAsUrlHost(host)
      ? undefined
      : `'${host}' is not a host name that URL parsers accept (a label starting with xn-- must be valid punycode)`;
  }
  if (/^\[.*\]$/s.test(host)) {
    return `'${host}' is not a valid IPv6 address in brackets`;
  }
  if (/^[0-9.]+$/.test(host)) {
    return `'${host}' is not a valid IPv4 address`;
  }
  if (ENDS_IN_NUMBER.test(host)) {
    return `'${host}' ends in a number, which URL parsers read as an IPv4 address; no top-level domain is numeric`;
  }
  return `'${host}' is not a DNS name, an IPv4 address or a bracketed IPv6 address`;
}

/** True when the WHATWG URL parser accepts `host` as the host of a URL. */
function parsesAsUrlHost(host: string): boolean {
  try {
    new URL(`http://${host}:1`);
    return true;
  } catch {
    return false;
  }
}

/** True when `host` is a DNS name, an IPv4 address or a bracketed IPv6 address, without anything else. */
export function isHost(host: unknown): boolean {
  return hostProblem(host) === undefined;
}

/** True when `port` is a TCP port number, 1 to 65535. */
export function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** A proxy URL split into the parts that consumers need. */
export interface ParsedProxyUrl {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** `scheme://host:port`, normalised (no trailing slash). */
  readonly url: string;
}

/** What is wrong with a proxy URL, and how to fix it (two sentences for the error message). */
export interface ProxyUrlProblem {
  readonly problem: string;
  readonly fix: string;
}

/**
 * Parse a proxy URL, or return the problem with it.
 *
 * Rules, and why:
 * - scheme must be http or https: Go's net/http, curl and Python all accept these two; `socks5://`
 *   is not understood by nodeadm, containerd or dnf.
 * - the port must be explicit: clients disagree on the default (curl uses 1080 for a proxy without
 *   a port, Go and Python use the scheme's 80/443).
 * - no user:password: it would be written in plain text into the template, the user data, the
 *   Lambda environment and the ConfigMap.
 * - no path, query or fragment: most clients silently ignore them.
 */
export function parseProxyUrl(raw: string): ParsedProxyUrl | ProxyUrlProblem {
  const trimmed = raw.trim();
  if (trimmed !== raw || /\s/.test(raw)) {
    return {
      problem: `'${raw}' contains white space`,
      fix: 'Remove the spaces, for example http://proxy.example.com:3128',
    };
  }
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(raw);
  if (!schemeMatch) {
    return {
      problem: `'${raw}' has no scheme`,
      fix: `Write it as a full URL with scheme and port, for example http://${raw.replace(/^\/*/, '') || 'proxy.example.com:3128'}`,
    };
  }
  const scheme = schemeMatch[1].toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    return {
      problem: `'${raw}' uses the scheme '${scheme}'`,
      fix: 'Use an http:// or https:// proxy URL; nodeadm, containerd, kubelet and dnf understand only these',
    };
  }
  const authority = raw.slice(schemeMatch[0].length).split(/[/?#]/, 1)[0];
  if (authority.includes('@')) {
    return {
      problem:
        'contains credentials (user:password@), which would be written in plain text into the template, the node user data, the Lambda environment and the ConfigMap',
      fix: 'Remove them from the URL; pass proxy credentials from AWS Secrets Manager instead, which keeps them out of the template',
    };
  }
  const rest = raw.slice(schemeMatch[0].length + authority.length);
  if (rest !== '' && rest !== '/') {
    return {
      problem: `'${raw}' has a path, query or fragment ('${rest}')`,
      fix: `Give only scheme, host and port, for example ${scheme}://${authority}`,
    };
  }
  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(authority);
  if (!hostPort || !isHost(hostPort[1])) {
    return {
      problem: `'${raw}' has an invalid host '${authority}'`,
      fix: 'Use a DNS name, an IPv4 address or a bracketed IPv6 address, followed by :port',
    };
  }
  if (hostPort[2] === undefined) {
    return {
      problem: `'${raw}' has no port`,
      fix: `Clients disagree on the default proxy port (curl uses 1080, Go and Python ${scheme === 'http' ? 80 : 443}); write it explicitly, for example ${scheme}://${hostPort[1]}:3128`,
    };
  }
  const port = Number(hostPort[2]);
  if (!isPort(port)) {
    return {
      problem: `'${raw}' has port ${hostPort[2]}, outside 1-65535`,
      fix: 'Use the port your proxy listens on, for example 3128',
    };
  }
  try {
    new URL(`${scheme}://${authority}`);
  } catch {
    return {
      problem: `'${raw}' is not a valid URL`,
      fix: 'Write it as scheme://host:port, for example http://proxy.example.com:3128',
    };
  }
  if (!matchesProxyUrl(raw)) {
    return {
      problem: `'${raw}' is not a valid proxy URL`,
      fix: 'Write it as scheme://host:port, for example http://proxy.example.com:3128',
    };
  }
  const host = hostPort[1].toLowerCase();
  return { scheme, host, port, url: `${scheme}://${host}:${port}` };
}

/** True when the result of `parseProxyUrl` is a problem. */
export function isProblem(x: ParsedProxyUrl | ProxyUrlProblem): x is ProxyUrlProblem {
  return (x as ProxyUrlProblem).problem !== undefined;
}

/** The narrowest prefixes a NO_PROXY CIDR may have: broader ones send much of the internet around the proxy. */
const MIN_PREFIX = { v4: 8, v6: 7 };

/**
 * Return why a concrete NO_PROXY entry is invalid, or undefined when it is fine. An entry is `*`, a host
 * name or domain (optionally with a leading `.` or `*.`, and a `:port`), an IPv4 address, an IPv6 address
 * (bare or in brackets, the form Python compares), or a CIDR of either family no broader than /8 (IPv4) or
 * /7 (IPv6, the size of fc00::/7). Anything else (spaces, commas, quotes, `$`, `%`, control characters)
 * would break one of the files we write it into, or be read differently by the clients.
 */
export function noProxyEntryProblem(entry: unknown): string | undefined {
  if (typeof entry !== 'string') {
    return notAStringProblem(entry);
  }
  if (entry === '') {
    return 'is an empty string';
  }
  if (entry.includes(',')) {
    return `'${entry}' contains a comma; give one host, domain or CIDR per list element`;
  }
  if (entry === '*') {
    return undefined;
  }
  if (matchesNoProxyEntry(entry)) {
    return undefined;
  }
  // Rejected by the grammar: say why as precisely as we can.
  const notAnEntry = `'${entry}' is not a host name, domain (.example.com), IP address or CIDR`;
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const address = entry.slice(0, slash);
    const prefixText = entry.slice(slash + 1);
    const family = IS_IPV4.test(address) ? 'v4' : IS_IPV6.test(address) ? 'v6' : undefined;
    if (!family || !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) {
      return family === 'v4' || /^[0-9.]+$/.test(address) ? `'${entry}' is not a valid IPv4 CIDR` : notAnEntry;
    }
    const prefix = Number(prefixText);
    const max = family === 'v4' ? 32 : 128;
    if (prefix > max) {
      return `'${entry}' is not a valid IP${family} CIDR: the prefix is longer than /${max}`;
    }
    return `'${entry}' covers more than a /${MIN_PREFIX[family]}, which would send much of the internet around the proxy; list the networks themselves`;
  }
  const m = /^(\*\.|\.)?([^:]*)(?::(\d{1,5}))?$/.exec(entry);
  if (m && m[3] !== undefined && hostProblem(m[2]) === undefined) {
    return `'${entry}' has port ${m[3]}, outside 1-65535 or written with a leading zero`;
  }
  return notAnEntry;
}
