/**
 * The one description of the proxy grammars: what a proxy URL, a host and a NO_PROXY entry may be.
 *
 * Written as POSIX extended regular expressions that mean the same in JavaScript and in bash's `=~`
 * (glibc regcomp): only bracket expressions without backslashes, `(...)`, `|`, `?`, `*`, `+`, `{m,n}`,
 * `\[`, `\]` and anchors; ASCII ranges only (bash evaluates them with `LC_ALL=C`). The synth-time checks
 * (`proxy-url.ts`) accept exactly what `matchesProxyUrl`, `matchesHost` and `matchesNoProxyEntry` accept,
 * and the boothook checks deploy-time values with `renderShellGrammar`, built from the same expressions
 * and the same structure, so the two cannot drift (test/real-clients/deploy-time-grammar.test.ts runs
 * both over generated inputs).
 */

/** A decimal octet, 0-255, without leading zeros (as Node's `net.isIPv4`). */
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/** One group of an IPv6 address. */
const H16 = '[0-9A-Fa-f]{1,4}';

/** A dotted-quad IPv4 address. */
export const IPV4 = `${OCTET}([.]${OCTET}){3}`;

/** The low 32 bits of an IPv6 address: two groups or an IPv4 address (RFC 3986, `ls32`). */
const LS32 = `(${H16}:${H16}|${IPV4})`;

/** Up to `n` groups with their colons, then a group: `[ *n( h16 ":" ) h16 ]` of RFC 3986. */
const head = (n: number) => `((${H16}:){0,${n}}${H16})?`;

/** An IPv6 address without zone (RFC 3986 section 3.2.2, `IPv6address`), the nine forms in order. */
export const IPV6 = [
  `(${H16}:){6}${LS32}`,
  `::(${H16}:){5}${LS32}`,
  `(${H16})?::(${H16}:){4}${LS32}`,
  `${head(1)}::(${H16}:){3}${LS32}`,
  `${head(2)}::(${H16}:){2}${LS32}`,
  `${head(3)}::${H16}:${LS32}`,
  `${head(4)}::${LS32}`,
  `${head(5)}::${H16}`,
  `${head(6)}::`,
]
  .map((form) => `(${form})`)
  .join('|');

/** One DNS label: letters, digits, `_` and inner `-`, at most 63 characters (RFC 1123, `_` for SRV-style names). */
const DNS_LABEL = '[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';

/** A DNS name: labels joined by dots. */
export const DNS_NAME = `${DNS_LABEL}([.]${DNS_LABEL})*`;

/** The longest DNS name (RFC 1035, 253 characters as text). */
export const DNS_NAME_MAX_LENGTH = 253;

/** Digits and dots only: such a name must be a valid IPv4 address (`300.1.1.1` is neither). */
export const NUMERIC_NAME = '[0-9.]+';

/** A TCP port, 1-65535, without leading zeros. */
export const PORT = '([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';

/**
 * A proxy URL split into host and port: scheme `http` or `https` (any case), `://`, the host (group 2,
 * checked by the host grammar), `:`, the port (group 3), and at most a trailing `/`.
 */
export const PROXY_URL = `([Hh][Tt][Tt][Pp][Ss]?)://([^/]+):${PORT}/?`;

/**
 * A NO_PROXY CIDR no broader than /8 (IPv4) or /7 (IPv6, the size of fc00::/7): broader ones send much of
 * the internet around the proxy.
 */
export const IPV4_CIDR = `(${IPV4})/([89]|[12][0-9]|3[0-2])`;
export const IPV6_CIDR = `(${IPV6})/([7-9]|[1-9][0-9]|1[01][0-9]|12[0-8])`;

/** A NO_PROXY name entry: optional `*.` or `.`, a host (group 2, checked by the host grammar), optional `:port`. */
export const NO_PROXY_NAME = `([*][.]|[.])?([^:]+)(:${PORT})?`;

const whole = (ere: string) => new RegExp(`^(${ere})$`);
const RE = {
  ipv4: whole(IPV4),
  bracketedIpv6: whole(`\\[(${IPV6})\\]`),
  ipv6: whole(IPV6),
  dnsName: whole(DNS_NAME),
  numeric: whole(NUMERIC_NAME),
  url: new RegExp(`^${PROXY_URL}$`),
  ipv4Cidr: whole(IPV4_CIDR),
  ipv6Cidr: whole(IPV6_CIDR),
  noProxyName: new RegExp(`^${NO_PROXY_NAME}$`),
};

/** A DNS name, an IPv4 address or an IPv6 address in brackets. */
export function matchesHost(host: string): boolean {
  if (RE.ipv4.test(host) || RE.bracketedIpv6.test(host)) {
    return true;
  }
  return host.length <= DNS_NAME_MAX_LENGTH && RE.dnsName.test(host) && !RE.numeric.test(host);
}

/** `http(s)://host:port`, optionally with a trailing `/`. */
export function matchesProxyUrl(url: string): boolean {
  const m = RE.url.exec(url);
  return m !== null && matchesHost(m[2]);
}

/** `*`, an IPv4 or IPv6 CIDR, a bare or bracketed IPv6 address, or a host with optional `*.`/`.` and `:port`. */
export function matchesNoProxyEntry(entry: string): boolean {
  if (entry === '*' || RE.ipv4Cidr.test(entry) || RE.ipv6Cidr.test(entry) || RE.ipv6.test(entry)) {
    return true;
  }
  if (RE.bracketedIpv6.test(entry)) {
    return true;
  }
  const m = RE.noProxyName.exec(entry);
  return m !== null && matchesHost(m[2]);
}

/** A NO_PROXY value: entries separated by commas, none empty. */
export function matchesNoProxyList(list: string): boolean {
  return list.split(',').every((e) => e !== '' && matchesNoProxyEntry(e));
}

/** The grammars a deploy-time value is checked against at boot. */
export type ValueGrammar = 'proxyUrl' | 'noProxyList';

/** The TypeScript check of a grammar (the synth-time side). */
export function matchesGrammar(grammar: ValueGrammar, value: string): boolean {
  return grammar === 'proxyUrl' ? matchesProxyUrl(value) : matchesNoProxyList(value);
}

/** The bash function that checks a grammar (see `renderShellGrammar`). */
export const SHELL_GRAMMAR_FUNCTION: Record<ValueGrammar, string> = {
  proxyUrl: 'cdk_private_eks_is_proxy_url',
  noProxyList: 'cdk_private_eks_is_no_proxy_list',
};

/** A bash single-quoted word; the expressions above hold no `'`, and this refuses one if they ever do. */
function ereWord(ere: string): string {
  if (ere.includes("'")) {
    throw new Error(`a grammar expression contains a single quote: ${ere}`);
  }
  return `'${ere}'`;
}

/**
 * Bash functions for the boothook, the same checks as `matchesHost`, `matchesProxyUrl` and
 * `matchesNoProxyList`, built from the same expressions. Each runs with `LC_ALL=C`, so that ranges are
 * ASCII and `${#x}` counts bytes.
 */
export function renderShellGrammar(): string[] {
  return [
    '# The proxy grammars (lib/private/proxy-grammar.ts: the same expressions as the synth-time checks).',
    'cdk_private_eks_is_host() {',
    '  local LC_ALL=C h="$1"',
    `  local ipv4=${ereWord(`^(${IPV4})$`)} ipv6=${ereWord(`^\\[(${IPV6})\\]$`)}`,
    `  local name=${ereWord(`^(${DNS_NAME})$`)} numeric=${ereWord(`^(${NUMERIC_NAME})$`)}`,
    '  [[ $h =~ $ipv4 || $h =~ $ipv6 ]] && return 0',
    `  [[ \${#h} -le ${DNS_NAME_MAX_LENGTH} && $h =~ $name && ! $h =~ $numeric ]]`,
    '}',
    `${SHELL_GRAMMAR_FUNCTION.proxyUrl}() {`,
    `  local LC_ALL=C url=${ereWord(`^${PROXY_URL}$`)}`,
    '  [[ $1 =~ $url ]] && cdk_private_eks_is_host "${BASH_REMATCH[2]}"',
    '}',
    'cdk_private_eks_is_no_proxy_entry() {',
    '  local LC_ALL=C e="$1"',
    `  local cidr4=${ereWord(`^(${IPV4_CIDR})$`)} cidr6=${ereWord(`^(${IPV6_CIDR})$`)}`,
    `  local ipv6=${ereWord(`^(${IPV6})$`)} bracketed=${ereWord(`^\\[(${IPV6})\\]$`)}`,
    `  local named=${ereWord(`^${NO_PROXY_NAME}$`)}`,
    '  [[ $e == "*" || $e =~ $cidr4 || $e =~ $cidr6 || $e =~ $ipv6 || $e =~ $bracketed ]] && return 0',
    '  [[ $e =~ $named ]] && cdk_private_eks_is_host "${BASH_REMATCH[2]}"',
    '}',
    `${SHELL_GRAMMAR_FUNCTION.noProxyList}() {`,
    '  local LC_ALL=C rest="$1," entry',
    '  while [ -n "$rest" ]; do',
    '    entry="${rest%%,*}"',
    '    rest="${rest#*,}"',
    '    [ -n "$entry" ] && cdk_private_eks_is_no_proxy_entry "$entry" || return 1',
    '  done',
    '}',
  ];
}
