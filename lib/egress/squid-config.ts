/**
 * Pure rendering of the egress proxy's squid.conf (its allowlist is in allowlist.ts). No CDK imports: values
 * may contain CDK token markers (`${Token[...]}`, e.g. the region of an env-agnostic stack), which pass
 * through untouched and are resolved by CloudFormation when the user data is rendered.
 *
 * Directive semantics: squid.conf.documented of Squid 5.7 (Debian package squid-common), the version
 * the tests run; AL2023 ships Squid 6.13 (amazonlinux/amazon-linux-2023 issues #708 and #1130), which
 * has the same directives.
 */

import { normaliseDomains } from './allowlist';

/** Where Squid writes its files. */
export interface SquidPaths {
  /**
   * The access log (one JSON object a line).
   *
   * @default /var/log/squid/access.log
   */
  readonly accessLog?: string;

  /**
   * Squid's own log.
   *
   * @default /var/log/squid/cache.log
   */
  readonly cacheLog?: string;

  /**
   * The PID file. The default is the `PIDFile=` of the squid.service unit of the Fedora/AL2023 package
   * and Squid's compiled-in default (squid.conf.documented, pid_filename).
   *
   * @default /run/squid.pid
   */
  readonly pidFile?: string;

  /**
   * Where core files go.
   *
   * @default /var/spool/squid
   */
  readonly coredumpDir?: string;
}

/** The production paths, as the AL2023 (Fedora) squid package lays them out. */
export const DEFAULT_SQUID_PATHS: Required<SquidPaths> = {
  accessLog: '/var/log/squid/access.log',
  cacheLog: '/var/log/squid/cache.log',
  pidFile: '/run/squid.pid',
  coredumpDir: '/var/spool/squid',
};

/** Input of `renderSquidConfig`. */
export interface SquidConfigInput {
  /** The port Squid listens on (all addresses). */
  readonly port: number;

  /** Client networks allowed to use the proxy (the VPC CIDRs). Tokens pass through. */
  readonly allowedCidrs: string[];

  /**
   * Destination domains allowed (dstdomain syntax: a leading dot for the domain and its subdomains).
   * They are normalised with `normaliseDomains`.
   */
  readonly allowedDomains: string[];

  /**
   * Log, PID and core file locations.
   *
   * @default DEFAULT_SQUID_PATHS
   */
  readonly paths?: SquidPaths;

  /**
   * `cache_effective_user`: the user Squid drops to when started as root.
   *
   * @default - the package's compiled-in user (`squid` on AL2023, `proxy` on Debian)
   */
  readonly effectiveUser?: string;

  /**
   * Private destinations the proxy may reach although they are in `PRIVATE_DESTINATIONS` (dst syntax:
   * CIDRs or addresses). Tokens pass through.
   *
   * @default - none: every private destination is refused
   */
  readonly allowedPrivateDestinations?: string[];

  /**
   * `hosts_file`: names Squid resolves without DNS.
   *
   * @default - Squid's default, /etc/hosts
   */
  readonly hostsFile?: string;

  /**
   * `dns_nameservers`: the resolvers Squid asks.
   *
   * @default - those of /etc/resolv.conf (the VPC resolver on EC2)
   */
  readonly dnsNameservers?: string[];
}

/**
 * Destinations refused unless allowed: RFC 1918 (10/8, 172.16/12, 192.168/16), shared address space
 * 100.64.0.0/10 (RFC 6598, carrier-grade NAT) and IPv6 unique local addresses fc00::/7 (RFC 4193), so that
 * an allowlisted name resolving into the VPC, a peered network or on-premises is not reached through the
 * proxy. Link-local (169.254.0.0/16, fe80::/10) and the proxy itself are always refused.
 */
export const PRIVATE_DESTINATIONS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'];

/** The name of the access log format (JSON lines). */
export const ACCESS_LOG_FORMAT_NAME = 'cdk_private_eks_json';

/**
 * One JSON object a line, so CloudWatch Logs Insights discovers every field by itself (CloudWatch Logs
 * user guide, "Supported logs and discovered fields": fields in JSON logs are discovered). The time is
 * ISO 8601 in UTC first, which the CloudWatch agent's `timestamp_format` `%Y-%m-%dT%H:%M:%S` finds.
 * Every value is a JSON string: Squid logs `-` for unknown numbers, which would not be valid JSON.
 * `%"code` is Squid's quoted-string encoding (`"` and `\` escaped, CR/LF/TAB as \r \n \t), used for
 * the fields a client controls (squid.conf.documented, logformat).
 */
export const ACCESS_LOG_FORMAT = [
  '{"time":"%{%Y-%m-%dT%H:%M:%S}tg.%03tuZ"',
  '"client":"%>a"',
  '"method":"%"rm"',
  '"url":"%"ru"',
  '"status":"%>Hs"',
  '"result":"%Ss"',
  '"hierarchy":"%Sh"',
  '"server":"%<a"',
  '"bytes":"%<st"',
  '"duration_ms":"%tr"',
  '"user_agent":"%"{User-Agent}>h"}',
].join(',');

/**
 * Render squid.conf for an egress proxy:
 * - only ports 80 and 443, and CONNECT only to 443 (a tunnel to any other port is refused);
 * - requests are refused on client address and destination name first, before any DNS lookup, so a
 *   name outside the allowlist is never resolved (no DNS side channel through the proxy);
 * - then destinations on the proxy itself (`to_localhost`, predefined) and link-local addresses
 *   (the proxy's IMDS and the VPC resolver's fd00:ec2:: names) are refused, in case an allowed name
 *   resolves there, and private addresses (`PRIVATE_DESTINATIONS`) unless `allowedPrivateDestinations`
 *   names them;
 * - one `http_access allow` (client in the allowed CIDRs AND destination in the allowlist), then
 *   `http_access deny all`;
 * - no cache, no `Via` or `X-Forwarded-For` (the VPC's addresses do not leave), no version string;
 * - a JSON access log.
 */
export function renderSquidConfig(input: SquidConfigInput): string {
  const domains = normaliseDomains(input.allowedDomains);
  if (domains.length === 0) {
    throw new Error('renderSquidConfig: allowedDomains is empty');
  }
  if (input.allowedCidrs.length === 0) {
    throw new Error('renderSquidConfig: allowedCidrs is empty');
  }
  const paths = { ...DEFAULT_SQUID_PATHS, ...definedOnly(input.paths ?? {}) };
  const privateAllowed = input.allowedPrivateDestinations ?? [];
  const lines = [
    '# squid.conf rendered by cdk-private-eks EgressProxy: an allowlisting forward proxy, not a cache.',
    `http_port ${input.port}`,
    ...(input.effectiveUser ? [`cache_effective_user ${input.effectiveUser}`] : []),
    '',
    '# Clients: the VPC.',
    `acl egress_clients src ${input.allowedCidrs.join(' ')}`,
    '# Destinations (a leading dot: the domain and its subdomains). -n: no reverse DNS for IP URLs,',
    '# so an IP address never matches.',
    ...wrap('acl egress_domains dstdomain -n', domains),
    '# Link-local destinations: IMDS (169.254.169.254, fd00:ec2::254) and the VPC resolver (fd00:ec2::253).',
    'acl egress_link_local dst 169.254.0.0/16 fe80::/10 fd00:ec2::/32',
    '# Private destinations (RFC 1918, RFC 6598 shared address space, IPv6 unique local), refused unless allowed.',
    `acl egress_private dst ${PRIVATE_DESTINATIONS.join(' ')}`,
    ...(privateAllowed.length > 0 ? wrap('acl egress_private_allowed dst', privateAllowed) : []),
    'acl SSL_ports port 443',
    'acl Safe_ports port 80 443',
    '',
    'http_access deny !Safe_ports',
    'http_access deny CONNECT !SSL_ports',
    'http_access deny manager',
    'http_access deny !egress_clients',
    'http_access deny !egress_domains',
    'http_access deny to_localhost',
    'http_access deny egress_link_local',
    privateAllowed.length > 0
      ? 'http_access deny egress_private !egress_private_allowed'
      : 'http_access deny egress_private',
    'http_access allow egress_clients egress_domains',
    'http_access deny all',
    '',
    '# No caching, no disclosure of the clients or of Squid.',
    'cache deny all',
    'forwarded_for delete',
    'via off',
    'httpd_suppress_version_string on',
    'pinger_enable off',
    'netdb_filename none',
    '',
    ...(input.hostsFile ? [`hosts_file ${input.hostsFile}`] : []),
    ...(input.dnsNameservers && input.dnsNameservers.length > 0
      ? [`dns_nameservers ${input.dnsNameservers.join(' ')}`]
      : []),
    `logformat ${ACCESS_LOG_FORMAT_NAME} ${ACCESS_LOG_FORMAT}`,
    `access_log stdio:${paths.accessLog} logformat=${ACCESS_LOG_FORMAT_NAME}`,
    `cache_log ${paths.cacheLog}`,
    // logrotate rotates the files and `squid -k rotate` only reopens them (the squid package's
    // logrotate script; squid.conf.documented, logfile_rotate).
    'logfile_rotate 0',
    `pid_filename ${paths.pidFile}`,
    `coredump_dir ${paths.coredumpDir}`,
    '',
  ];
  return lines.join('\n');
}

/** Split a long ACL over several lines of the same name (Squid adds them up). */
function wrap(prefix: string, values: string[], max = 8): string[] {
  const out: string[] = [];
  for (let i = 0; i < values.length; i += max) {
    out.push(`${prefix} ${values.slice(i, i + max).join(' ')}`);
  }
  return out;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
