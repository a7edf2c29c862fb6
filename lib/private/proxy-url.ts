/**
 * Pure parsing and checking of proxy URLs and NO_PROXY entries. No CDK imports: the
 * callers decide what to do with tokens (they skip these checks for unresolved values).
 */

/** A host: a DNS name, an IPv4 address or a bracketed IPv6 address (no scheme, credentials or port). */
const HOST = /(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)/.source;

/** True when `host` is a DNS name, an IPv4 address or a bracketed IPv6 address, without anything else. */
export function isHost(host: string): boolean {
  return new RegExp(`^${HOST}$`).test(host);
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
  const hostPort = new RegExp(`^${HOST}(?::(\\d+))?$`).exec(authority);
  if (!hostPort || !/[A-Za-z0-9]/.test(hostPort[1])) {
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
  const host = hostPort[1].toLowerCase();
  return { scheme, host, port, url: `${scheme}://${host}:${port}` };
}

/** True when the result of `parseProxyUrl` is a problem. */
export function isProblem(x: ParsedProxyUrl | ProxyUrlProblem): x is ProxyUrlProblem {
  return (x as ProxyUrlProblem).problem !== undefined;
}

/**
 * Characters allowed in one NO_PROXY entry: host names (optionally with a leading dot or `*.`),
 * IPv4/IPv6 addresses, CIDRs, and an optional :port. Anything else (spaces, commas, quotes, `$`, `%`)
 * would break one of the files we write it into, or be read differently by the clients.
 */
const NO_PROXY_ENTRY = /^(\*|\*?\.?[A-Za-z0-9_.-]+(:\d+)?|\[?[0-9A-Fa-f:.]+\]?(\/\d{1,3})?|[0-9.]+\/\d{1,2})$/;

/** Return why a concrete NO_PROXY entry is invalid, or undefined when it is fine. */
export function noProxyEntryProblem(entry: string): string | undefined {
  if (entry === '') {
    return 'is an empty string';
  }
  if (entry.includes(',')) {
    return `'${entry}' contains a comma; give one host, domain or CIDR per list element`;
  }
  if (!NO_PROXY_ENTRY.test(entry)) {
    return `'${entry}' is not a host name, domain (.example.com), IP address or CIDR`;
  }
  const cidr = /^([0-9.]+)\/(\d+)$/.exec(entry);
  if (cidr) {
    const octets = cidr[1].split('.').map(Number);
    if (octets.length !== 4 || octets.some((o) => o > 255) || Number(cidr[2]) > 32) {
      return `'${entry}' is not a valid IPv4 CIDR`;
    }
  }
  return undefined;
}
