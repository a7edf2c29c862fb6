/**
 * Pure NO_PROXY compaction: make a list fit a consumer's limits (an EKS Auto Mode NodeClass takes at most
 * 50 `noProxy` entries of at most 255 characters) while every host the full list sends direct is still
 * sent direct. Text in, list out.
 *
 * "Direct" is judged by Go's rules, the client that reads NO_PROXY on an Auto Mode node (kubelet,
 * containerd, the EKS node agents): golang.org/x/net/http/httpproxy, which net/http's
 * ProxyFromEnvironment uses. Its `config.init` and `useProxy`:
 * - `*` sends everything direct;
 * - an entry that parses as a CIDR matches a literal IP inside it (never a host name);
 * - an IP (optionally `ip:port`, `[ipv6]:port`) matches that literal IP (and port);
 * - `name` matches `name` and every `*.name`; `.name` and `*.name` match `*.name` only; `:port` limits
 *   either to that port; entries and hosts are compared case-insensitively;
 * - `localhost` and loopback IPs always go direct, whatever NO_PROXY says;
 * - a bracketed IPv6 entry without a port (`[fd00:ec2::254]`) becomes a domain no host ever has.
 * test/real-clients/no-proxy-compaction.test.ts feeds both lists to the real Go probe and shows they agree.
 *
 * The steps run in order, each only while the list is still too long, so a list that fits is left as it is:
 * 1. `subsumed`: drop entries whose hosts another entry already covers (an address in a CIDR,
 *    `s3.dualstack.R.S` under `s3.R.S`, a duplicate) — the same hosts go direct;
 * 2. `merged`: merge sibling CIDRs (two /24 into one /23) — the same addresses;
 * 3. `go-built-in`: drop entries Go never needs: loopback addresses (always direct) and bracketed IPv6
 *    forms (never match in Go; they are there for Python's urllib, which Auto Mode nodes do not run
 *    for their own traffic) — the same hosts go direct in Go;
 * 4. `covered`: replace the entries under a domain the caller vouches for (`covers`, for example a
 *    service's own domain) by that domain — MORE hosts go direct, so only domains whose every host is
 *    reachable without the proxy may be given.
 *
 * Values may hold CDK token markers: an entry that is one token is kept and never merged; a domain with
 * tokens inside (`ec2.${Token[AWS.Region]}...`) is compared by its text, which only ever finds covers
 * that hold for every value the tokens take.
 */

/** Limits of a NO_PROXY consumer. */
export interface NoProxyLimits {
  /** At most this many entries. */
  readonly maxEntries: number;
  /** At most this many characters per entry. */
  readonly maxEntryLength: number;
}

/**
 * The limits of an EKS Auto Mode NodeClass: `spec.advancedNetworking.noProxy` takes at most 50 entries of
 * at most 255 characters each (EKS user guide, "Create a Node Class", `advancedNetworking`, as quoted in
 * the project's issue 14; the page's text was not among the stored sources when this was written, so
 * the figures are the issue's, and kept in this one place).
 */
export const NODE_CLASS_NO_PROXY_LIMITS: NoProxyLimits = { maxEntries: 50, maxEntryLength: 255 };

/** The steps of `compactNoProxy`, in the order they run. */
export type CompactionStepName = 'subsumed' | 'merged' | 'go-built-in' | 'covered';

/** What one step changed. */
export interface CompactionStep {
  readonly step: CompactionStepName;
  /** Entries removed. */
  readonly removed: string[];
  /** Entries added in their place (merged CIDRs, covering domains). */
  readonly added: string[];
}

/** Options of `compactNoProxy`. */
export interface CompactNoProxyOptions {
  readonly limits: NoProxyLimits;
  /**
   * Domains (`name` or `.name`) whose every host may go direct, used by the last step to replace the
   * entries under them. Widens the list: give only domains reachable without the proxy.
   */
  readonly covers?: string[];
}

/** The compacted list, the steps that produced it and, when it still does not fit, why. */
export interface CompactNoProxyResult {
  readonly entries: string[];
  readonly steps: CompactionStep[];
  /** Undefined when the list fits the limits. */
  readonly problem?: string;
}

type Family = 4 | 6;

/** How Go's httpproxy reads one entry. */
export type GoMatcher =
  | { readonly kind: 'all' }
  | { readonly kind: 'cidr'; readonly family: Family; readonly network: bigint; readonly prefix: number }
  | { readonly kind: 'ip'; readonly family: Family; readonly address: bigint; readonly port: string }
  | { readonly kind: 'domain'; readonly suffix: string; readonly matchHost: boolean; readonly port: string }
  /** Matches no host Go would otherwise proxy (a bracketed IPv6 name, a loopback address). */
  | { readonly kind: 'inert' }
  /** A token or anything else we do not model: never covers, never covered. */
  | { readonly kind: 'opaque' };

const TOKEN = /\$\{Token\[[^\]]*\]\}/;
const BITS: Record<Family, number> = { 4: 32, 6: 128 };

/** Parse an IPv4 or IPv6 address as Go's net.ParseIP would (no zones, no brackets). */
export function parseIp(text: string): { family: Family; address: bigint } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const octets = text.split('.');
    // Go rejects leading zeros ("010.0.0.1") since 1.17.
    if (octets.some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith('0')))) {
      return undefined;
    }
    return { family: 4, address: octets.reduce((a, o) => (a << 8n) + BigInt(o), 0n) };
  }
  if (!/^[0-9a-f:.]+$/i.test(text) || !text.includes(':')) {
    return undefined;
  }
  let head = text;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // An embedded IPv4 address (::ffff:10.0.0.1) stands for the last two words.
    const v4 = parseIp(last);
    if (!v4 || v4.family !== 4) {
      return undefined;
    }
    head = `${text.slice(0, lastColon + 1)}${(v4.address >> 16n).toString(16)}:${(v4.address & 0xffffn).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) {
    return undefined;
  }
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if ([...left, ...right].some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) {
    return undefined;
  }
  const needed = 8;
  const present = left.length + right.length;
  if (halves.length === 1 ? present !== needed : present >= needed) {
    return undefined;
  }
  const words = [
    ...left.map((g) => BigInt(`0x${g}`)),
    ...Array<bigint>(needed - present).fill(0n),
    ...right.map((g) => BigInt(`0x${g}`)),
  ];
  return { family: 6, address: words.reduce((a, w) => (a << 16n) + w, 0n) };
}

function isLoopback(family: Family, address: bigint): boolean {
  return family === 4 ? address >> 24n === 127n : address === 1n;
}

/** Split `host:port` as Go's net.SplitHostPort does for the forms NO_PROXY entries take. */
function splitHostPort(entry: string): { host: string; port: string } | undefined {
  const bracketed = /^\[([^\]]*)\]:(\d*)$/.exec(entry);
  if (bracketed) {
    return { host: bracketed[1], port: bracketed[2] };
  }
  const colon = entry.lastIndexOf(':');
  if (colon < 0 || entry.indexOf(':') !== colon || entry.includes('[') || entry.includes(']')) {
    return undefined;
  }
  return { host: entry.slice(0, colon), port: entry.slice(colon + 1) };
}

/** How Go's httpproxy reads one NO_PROXY entry (config.init). */
export function goMatcher(raw: string): GoMatcher {
  const entry = raw.trim().toLowerCase();
  if (TOKEN.test(raw)) {
    // A domain with a literal first label keeps its meaning whatever the tokens resolve to; anything
    // else (a whole token may be a CIDR) is left alone.
    const literal = raw.split(TOKEN).join('');
    return /^(\*\.|\.)?[a-z]/i.test(raw) && !/[:/\s,]/.test(literal) ? domainMatcher(entry, '') : { kind: 'opaque' };
  }
  if (entry === '*') {
    return { kind: 'all' };
  }
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const ip = parseIp(entry.slice(0, slash));
    const prefixText = entry.slice(slash + 1);
    if (!ip || !/^\d{1,3}$/.test(prefixText) || Number(prefixText) > BITS[ip.family]) {
      return { kind: 'opaque' };
    }
    const prefix = Number(prefixText);
    const network = ip.address & mask(ip.family, prefix);
    if (isLoopback(ip.family, network) && prefix >= (ip.family === 4 ? 8 : 128)) {
      return { kind: 'inert' };
    }
    return { kind: 'cidr', family: ip.family, network, prefix };
  }
  let host = entry;
  let port = '';
  const split = splitHostPort(entry);
  if (split) {
    if (split.host === '') {
      return { kind: 'inert' };
    }
    host = split.host;
    port = split.port;
  }
  const ip = parseIp(host);
  if (ip) {
    return isLoopback(ip.family, ip.address) ? { kind: 'inert' } : { kind: 'ip', ...ip, port };
  }
  if (host.includes('[') || host.includes(']')) {
    // Go keeps `[fd00:ec2::254]` as a domain; URL hosts reach the matchers without brackets.
    return { kind: 'inert' };
  }
  return domainMatcher(host, port);
}

function domainMatcher(host: string, port: string): GoMatcher {
  let h = host.startsWith('*.') ? host.slice(1) : host;
  const matchHost = !h.startsWith('.');
  if (matchHost) {
    h = `.${h}`;
  }
  return { kind: 'domain', suffix: h, matchHost, port };
}

function mask(family: Family, prefix: number): bigint {
  const bits = BITS[family];
  return ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
}

/** True when every host `inner` sends direct, `outer` sends direct too (Go's rules). */
export function covers(outer: GoMatcher, inner: GoMatcher): boolean {
  if (outer.kind === 'all' || inner.kind === 'inert') {
    return true;
  }
  if (outer.kind === 'cidr') {
    if (inner.kind === 'cidr' || inner.kind === 'ip') {
      const innerPrefix = inner.kind === 'cidr' ? inner.prefix : BITS[inner.family];
      const innerAddress = inner.kind === 'cidr' ? inner.network : inner.address;
      return (
        inner.family === outer.family &&
        innerPrefix >= outer.prefix &&
        (innerAddress & mask(outer.family, outer.prefix)) === outer.network
      );
    }
    return false;
  }
  if (outer.kind === 'ip') {
    return (
      inner.kind === 'ip' &&
      inner.family === outer.family &&
      inner.address === outer.address &&
      (outer.port === '' || outer.port === inner.port)
    );
  }
  if (outer.kind === 'domain' && inner.kind === 'domain') {
    if (outer.port !== '' && outer.port !== inner.port) {
      return false;
    }
    // Every host ending in inner.suffix ends in outer.suffix, and inner's own host (if it matches it) too.
    if (!inner.suffix.endsWith(outer.suffix)) {
      return false;
    }
    return !inner.matchHost || inner.suffix !== outer.suffix || outer.matchHost;
  }
  return false;
}

/** Compact `entries` to fit `options.limits` (see the module comment for the steps and their meaning). */
export function compactNoProxy(entries: string[], options: CompactNoProxyOptions): CompactNoProxyResult {
  const steps: CompactionStep[] = [];
  let list = [...entries];
  const fits = () => list.length <= options.limits.maxEntries && list.every((e) => !tooLong(e, options.limits));
  const stages: Array<[CompactionStepName, (l: string[]) => { entries: string[]; added: string[] }]> = [
    ['subsumed', (l) => ({ entries: dropSubsumed(l), added: [] })],
    ['merged', mergeCidrs],
    ['go-built-in', (l) => ({ entries: l.filter((e) => goMatcher(e).kind !== 'inert'), added: [] })],
    ['covered', (l) => coverBy(l, options.covers ?? [])],
  ];
  for (const [step, apply] of stages) {
    if (fits()) {
      break;
    }
    const next = apply(list);
    const removed = list.filter((e) => !next.entries.includes(e));
    if (removed.length > 0 || next.added.length > 0) {
      steps.push({ step, removed, added: next.added });
    }
    list = next.entries;
  }
  return { entries: list, steps, problem: fits() ? undefined : problemOf(list, options.limits) };
}

function tooLong(entry: string, limits: NoProxyLimits): boolean {
  return entry.length > limits.maxEntryLength;
}

function problemOf(list: string[], limits: NoProxyLimits): string {
  const long = list.filter((e) => tooLong(e, limits));
  const parts: string[] = [];
  if (list.length > limits.maxEntries) {
    parts.push(`has ${list.length} entries after compaction, more than the ${limits.maxEntries} allowed`);
  }
  if (long.length > 0) {
    parts.push(
      `has entries longer than ${limits.maxEntryLength} characters (${long.map((e) => `'${e.slice(0, 40)}...' ${e.length}`).join(', ')})`,
    );
  }
  return parts.join(' and ');
}

/** Step 1: keep the first of equal entries and drop every entry another one covers. */
function dropSubsumed(list: string[]): string[] {
  const matchers = list.map(goMatcher);
  return list.filter((_, i) => {
    const m = matchers[i];
    if (m.kind === 'opaque' || m.kind === 'inert') {
      return true;
    }
    return !matchers.some((o, j) => {
      if (j === i || o.kind === 'opaque' || o.kind === 'inert' || !covers(o, m)) {
        return false;
      }
      // Two entries covering each other (equal meaning): keep the earlier one.
      return !covers(m, o) || j < i;
    });
  });
}

/** Step 2: merge sibling CIDRs (same family and prefix, differing only in the last network bit). */
function mergeCidrs(list: string[]): { entries: string[]; added: string[] } {
  let out = [...list];
  const added: string[] = [];
  for (;;) {
    const cidrs = out.map(goMatcher);
    let merged = false;
    for (let i = 0; i < out.length && !merged; i++) {
      const a = cidrs[i];
      if (a.kind !== 'cidr' || a.prefix === 0) {
        continue;
      }
      const bit = 1n << BigInt(BITS[a.family] - a.prefix);
      const j = cidrs.findIndex(
        (b) => b.kind === 'cidr' && b.family === a.family && b.prefix === a.prefix && b.network === (a.network ^ bit),
      );
      if (j < 0) {
        continue;
      }
      const text = formatCidr(a.family, a.network & ~bit, a.prefix - 1);
      out = out.flatMap((e, k) => (k === Math.min(i, j) ? [text] : k === Math.max(i, j) ? [] : [e]));
      added.push(text);
      merged = true;
    }
    if (!merged) {
      // Report only what survived (a merged CIDR may have been merged again).
      return { entries: out, added: added.filter((t) => out.includes(t)) };
    }
  }
}

function formatCidr(family: Family, network: bigint, prefix: number): string {
  if (family === 4) {
    return `${[24n, 16n, 8n, 0n].map((s) => (network >> s) & 255n).join('.')}/${prefix}`;
  }
  const words = [...Array(8).keys()].map((i) => ((network >> BigInt(16 * (7 - i))) & 0xffffn).toString(16));
  return `${compressIpv6(words)}/${prefix}`;
}

/** RFC 5952 text: the longest run (two or more) of zero words becomes `::`. */
function compressIpv6(words: string[]): string {
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === '0') {
      j++;
    }
    if (j - i > best.length) {
      best = { start: i, length: j - i };
    }
    i = j === i ? i + 1 : j;
  }
  if (best.length < 2) {
    return words.join(':');
  }
  return `${words.slice(0, best.start).join(':')}::${words.slice(best.start + best.length).join(':')}`;
}

/** Step 4: replace the entries under a vouched-for domain by the domain itself, where that saves entries. */
function coverBy(list: string[], domains: string[]): { entries: string[]; added: string[] } {
  let out = [...list];
  const added: string[] = [];
  for (const domain of domains) {
    const d = goMatcher(domain);
    const under = out.filter((e) => {
      const m = goMatcher(e);
      return m.kind !== 'opaque' && m.kind !== 'inert' && covers(d, m);
    });
    if (under.length === 0 || (under.length === 1 && under[0] === domain)) {
      continue;
    }
    const at = out.indexOf(under[0]);
    out = out.flatMap((e, k) => (k === at ? [domain] : under.includes(e) ? [] : [e]));
    added.push(domain);
  }
  return { entries: out, added };
}
