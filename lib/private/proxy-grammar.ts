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
import { shellQuote } from './encoders';

/**
 * The building blocks, each written once. The composite expressions are built from them by the functions
 * below, here with the blocks' text and in the boothook with bash variables that hold the same text (so
 * the script carries each block once: user data is limited to 16 KB).
 */
const BLOCKS = {
  /** A decimal octet, 0-255, without leading zeros (as Node's `net.isIPv4`). */
  octet: '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])',
  /** One group of an IPv6 address. */
  h16: '[0-9A-Fa-f]{1,4}',
  /** One DNS label: letters, digits, `_` and inner `-`, at most 63 characters (RFC 1123, `_` for SRV-style names). */
  label: '[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?',
  /** A TCP port, 1-65535, without leading zeros. */
  port: '([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])',
};
type Blocks = Record<keyof typeof BLOCKS | 'ipv4' | 'ls32' | 'ipv6' | 'dnsName', string>;

/** How each composite is made of blocks (`b` holds either the blocks' text or bash variable references). */
const COMPOSE: Array<[keyof Blocks, (b: Blocks) => string]> = [
  // A dotted-quad IPv4 address.
  ['ipv4', (b) => `${b.octet}([.]${b.octet}){3}`],
  // The low 32 bits of an IPv6 address: two groups or an IPv4 address (RFC 3986, `ls32`).
  ['ls32', (b) => `(${b.h16}:${b.h16}|${b.ipv4})`],
  // An IPv6 address without zone (RFC 3986 section 3.2.2, `IPv6address`), its nine forms in order;
  // `((h16:){0,n}h16)?` is RFC 3986's `[ *n( h16 ":" ) h16 ]`.
  [
    'ipv6',
    (b) => {
      const head = (n: number) => `((${b.h16}:){0,${n}}${b.h16})?`;
      return [
        `(${b.h16}:){6}${b.ls32}`,
        `::(${b.h16}:){5}${b.ls32}`,
        `(${b.h16})?::(${b.h16}:){4}${b.ls32}`,
        `${head(1)}::(${b.h16}:){3}${b.ls32}`,
        `${head(2)}::(${b.h16}:){2}${b.ls32}`,
        `${head(3)}::${b.h16}:${b.ls32}`,
        `${head(4)}::${b.ls32}`,
        `${head(5)}::${b.h16}`,
        `${head(6)}::`,
      ]
        .map((form) => `(${form})`)
        .join('|');
    },
  ],
  // A DNS name: labels joined by dots.
  ['dnsName', (b) => `${b.label}([.]${b.label})*`],
];

function composed(): Blocks {
  const b = { ...BLOCKS } as Blocks;
  for (const [name, make] of COMPOSE) {
    b[name] = make(b);
  }
  return b;
}
const B = composed();

/** A dotted-quad IPv4 address. */
export const IPV4 = B.ipv4;
/** An IPv6 address without zone (RFC 3986). */
export const IPV6 = B.ipv6;
/** A DNS name. */
export const DNS_NAME = B.dnsName;

/** The longest DNS name (RFC 1035, 253 characters as text). */
export const DNS_NAME_MAX_LENGTH = 253;

/**
 * A name whose last label is a number (decimal, or `0x` hex): the WHATWG URL parser (Node, browsers) reads
 * such a host as an IPv4 address and refuses it when it is not one (`f.1`, `300.1.1.1`, `a.0x0`), while Go
 * and curl look it up as a name; no top-level domain is numeric (RFC 3696 section 2), so it is refused.
 * See https://url.spec.whatwg.org/#ends-in-a-number-checker.
 */
export const ENDS_IN_A_NUMBER = '(^|[.])([0-9]+|0[xX][0-9A-Fa-f]*)$';

/** The anchored expressions the checks use, from blocks `b` (text, or bash variable references). */
function anchored(b: Blocks) {
  return {
    ipv4: `^(${b.ipv4})$`,
    ipv6: `^(${b.ipv6})$`,
    bracketedIpv6: `^\\[(${b.ipv6})\\]$`,
    dnsName: `^(${b.dnsName})$`,
    // A name ending in a number (see ENDS_IN_A_NUMBER), which URL parsers read as an IPv4 address.
    numEnd: ENDS_IN_A_NUMBER,
    // Scheme http or https (any case), `://`, the host (group 2, checked by the host grammar), `:`, the
    // port, and at most a trailing `/`.
    url: `^([Hh][Tt][Tt][Pp][Ss]?)://([^/]+):${b.port}/?$`,
    // NO_PROXY CIDRs no broader than /8 (IPv4) or /7 (IPv6, the size of fc00::/7): broader ones send much
    // of the internet around the proxy.
    ipv4Cidr: `^(${b.ipv4})/([89]|[12][0-9]|3[0-2])$`,
    ipv6Cidr: `^(${b.ipv6})/([7-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$`,
    // A NO_PROXY name: optional `*.` or `.`, a host (group 2, checked by the host grammar), optional `:port`.
    noProxyName: `^([*][.]|[.])?([^:]+)(:${b.port})?$`,
  };
}
type Anchored = ReturnType<typeof anchored>;

const RE = Object.fromEntries(Object.entries(anchored(B)).map(([k, v]) => [k, new RegExp(v)])) as Record<
  keyof Anchored,
  RegExp
>;

/** A DNS name, an IPv4 address or an IPv6 address in brackets. */
export function matchesHost(host: string): boolean {
  if (RE.ipv4.test(host) || RE.bracketedIpv6.test(host)) {
    return true;
  }
  return host.length <= DNS_NAME_MAX_LENGTH && RE.dnsName.test(host) && !RE.numEnd.test(host);
}

/** `http(s)://host:port`, optionally with a trailing `/`. */
export function matchesProxyUrl(url: string): boolean {
  const m = RE.url.exec(url);
  return m !== null && matchesHost(m[2]);
}

/** An IPv6 address (RFC 3986, no zone, no brackets), optionally with a prefix length of 0 to 128. */
export function matchesIpv6AddressOrCidr(text: string): boolean {
  const m = /^([^/]+)(\/(0|[1-9][0-9]?|1[01][0-9]|12[0-8]))?$/.exec(text);
  return m !== null && RE.ipv6.test(m[1]);
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

/**
 * The ARN of a Secrets Manager secret: any partition, a region, a 12-digit account, and a secret name of
 * ASCII letters, digits and `/_+=.@-` (Secrets Manager API reference, CreateSecret, `Name`), followed by
 * the `-` and six characters Secrets Manager appends.
 */
export const SECRET_ARN = 'arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+';
const SECRET_ARN_RE = new RegExp(`^(${SECRET_ARN})$`);

/** The ARN of a Secrets Manager secret (see `SECRET_ARN`). */
export function matchesSecretArn(arn: string): boolean {
  return SECRET_ARN_RE.test(arn);
}

/** The grammars a deploy-time value is checked against at boot. */
export type ValueGrammar = 'proxyUrl' | 'noProxyList' | 'secretArn';

/** The TypeScript check of a grammar (the synth-time side). */
export function matchesGrammar(grammar: ValueGrammar, value: string): boolean {
  switch (grammar) {
    case 'proxyUrl':
      return matchesProxyUrl(value);
    case 'noProxyList':
      return matchesNoProxyList(value);
    case 'secretArn':
      return matchesSecretArn(value);
  }
}

/** The bash function that checks a grammar (see `renderShellGrammar`). */
export const SHELL_GRAMMAR_FUNCTION: Record<ValueGrammar, string> = {
  proxyUrl: 'is_proxy_url',
  noProxyList: 'is_no_proxy_list',
  secretArn: 'is_secret_arn',
};

/** A bash single-quoted word; the expressions above hold no `'`, and this refuses one if they ever do. */
function ereWord(ere: string): string {
  if (ere.includes("'")) {
    throw new Error(`a grammar expression contains a single quote: ${ere}`);
  }
  return shellQuote(ere);
}

/**
 * Bash functions for the boothook, the same checks as `matchesHost`, `matchesProxyUrl` and
 * `matchesNoProxyList`, built from the same blocks and the same composition (`BLOCKS`, `COMPOSE`,
 * `anchored`). Each check runs with `LC_ALL=C`, so that ranges are ASCII and `${#x}` counts bytes.
 */
export function renderShellGrammar(): string[] {
  const refs = Object.fromEntries(
    [...Object.keys(BLOCKS), ...COMPOSE.map(([n]) => n)].map((n) => [n, `\${re_${n}}`]),
  ) as Blocks;
  const re = anchored(refs);
  return [
    '# Grammars: lib/private/proxy-grammar.ts',
    ...Object.entries(BLOCKS).map(([n, v]) => `re_${n}=${ereWord(v)}`),
    ...COMPOSE.map(([n, make]) => `re_${n}="${make(refs)}"`),
    ...Object.entries(re).map(([n, v]) => `re_is_${n}="${v}"`),
    'is_host() {',
    '  local LC_ALL=C h="$1"',
    '  [[ $h =~ $re_is_ipv4 || $h =~ $re_is_bracketedIpv6 ]] && return 0',
    `  [[ \${#h} -le ${DNS_NAME_MAX_LENGTH} && $h =~ $re_is_dnsName && ! $h =~ $re_is_numEnd ]]`,
    '}',
    `${SHELL_GRAMMAR_FUNCTION.proxyUrl}() {`,
    '  local LC_ALL=C',
    '  [[ $1 =~ $re_is_url ]] && is_host "${BASH_REMATCH[2]}"',
    '}',
    'is_no_proxy_entry() {',
    '  local LC_ALL=C e="$1"',
    '  [[ $e == "*" || $e =~ $re_is_ipv4Cidr || $e =~ $re_is_ipv6Cidr || $e =~ $re_is_ipv6 || $e =~ $re_is_bracketedIpv6 ]] && return 0',
    '  [[ $e =~ $re_is_noProxyName ]] && is_host "${BASH_REMATCH[2]}"',
    '}',
    `${SHELL_GRAMMAR_FUNCTION.secretArn}() {`,
    `  local LC_ALL=C arn=${ereWord(`^(${SECRET_ARN})$`)}`,
    '  [[ $1 =~ $arn ]]',
    '}',
    `${SHELL_GRAMMAR_FUNCTION.noProxyList}() {`,
    '  local LC_ALL=C rest="$1," entry',
    '  while [ -n "$rest" ]; do',
    '    entry="${rest%%,*}"',
    '    rest="${rest#*,}"',
    '    [ -n "$entry" ] && is_no_proxy_entry "$entry" || return 1',
    '  done',
    '}',
  ];
}
