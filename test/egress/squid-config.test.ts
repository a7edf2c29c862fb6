/**
 * The egress proxy's squid.conf renderer (lib/egress/squid-config.ts). The real Squid runs the rendered file
 * in test/real-clients/egress-squid.test.ts.
 */
import { defaultEgressDomains, normaliseDomains } from '../../lib/egress/allowlist';
import {
  ACCESS_LOG_FORMAT_NAME,
  DEFAULT_SQUID_PATHS,
  renderSquidConfig,
  SquidConfigInput,
} from '../../lib/egress/squid-config';

const R = '${Token[AWS.Region.4]}';
const S = '${Token[AWS.URLSuffix.9]}';

describe('renderSquidConfig', () => {
  const input: SquidConfigInput = {
    port: 3128,
    allowedCidrs: ['10.0.0.0/16', '${Token[TOKEN.55]}'],
    allowedDomains: ['.docker.io', 'registry-1.docker.io', ...defaultEgressDomains(R, S)],
  };
  const conf = renderSquidConfig(input);
  const lines = conf.split('\n');
  const access = lines.filter((l) => l.startsWith('http_access '));

  test('one allow rule: client in the allowed CIDRs AND destination in the allowlist; deny all last', () => {
    expect(access.filter((l) => l.startsWith('http_access allow'))).toEqual([
      'http_access allow egress_clients egress_domains',
    ]);
    expect(access[access.length - 1]).toBe('http_access deny all');
    expect(lines).toContain('acl egress_clients src 10.0.0.0/16 ${Token[TOKEN.55]}');
  });

  test('only ports 80 and 443, CONNECT only to 443, refused before the allow rule', () => {
    expect(lines).toContain('acl Safe_ports port 80 443');
    expect(lines).toContain('acl SSL_ports port 443');
    const allow = access.indexOf('http_access allow egress_clients egress_domains');
    expect(access.indexOf('http_access deny !Safe_ports')).toBeLessThan(allow);
    expect(access.indexOf('http_access deny CONNECT !SSL_ports')).toBeLessThan(allow);
  });

  test('names outside the allowlist are refused before any rule that needs DNS (dst ACLs)', () => {
    const firstDst = Math.min(
      access.indexOf('http_access deny to_localhost'),
      access.indexOf('http_access deny egress_link_local'),
    );
    expect(access.indexOf('http_access deny !egress_domains')).toBeLessThan(firstDst);
    expect(access.indexOf('http_access deny !egress_clients')).toBeLessThan(firstDst);
    expect(lines).toContain('acl egress_link_local dst 169.254.0.0/16 fe80::/10 fd00:ec2::/32');
  });

  test('private destinations (RFC 1918, 100.64.0.0/10, fc00::/7) are refused before the allow rule', () => {
    expect(lines).toContain('acl egress_private dst 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10 fc00::/7');
    const deny = access.indexOf('http_access deny egress_private');
    expect(deny).toBeGreaterThan(access.indexOf('http_access deny !egress_domains'));
    expect(deny).toBeLessThan(access.indexOf('http_access allow egress_clients egress_domains'));
    expect(lines.some((l) => l.startsWith('acl egress_private_allowed'))).toBe(false);
  });

  test('allowedPrivateDestinations opens only those ranges', () => {
    const opened = renderSquidConfig({
      ...input,
      allowedPrivateDestinations: ['10.20.0.0/16', 'fd12:3456::/48'],
    }).split('\n');
    expect(opened).toContain('acl egress_private_allowed dst 10.20.0.0/16 fd12:3456::/48');
    expect(opened).toContain('http_access deny egress_private !egress_private_allowed');
    expect(opened).not.toContain('http_access deny egress_private');
  });

  test('no cache, no Via, no X-Forwarded-For, no version string', () => {
    for (const l of ['cache deny all', 'forwarded_for delete', 'via off', 'httpd_suppress_version_string on']) {
      expect(lines).toContain(l);
    }
  });

  test('the allowlist is normalised, with tokens passed through, and nothing else is allowed', () => {
    const domains = lines
      .filter((l) => l.startsWith('acl egress_domains dstdomain -n '))
      .flatMap((l) => l.split(' ').slice(4));
    expect(domains).toEqual(normaliseDomains(input.allowedDomains));
    expect(domains).toContain('.docker.io');
    expect(domains).not.toContain('registry-1.docker.io');
    expect(domains).toContain(`.s3.dualstack.${R}.${S}`);
  });

  test('production paths by default; a JSON access log', () => {
    expect(lines).toContain(`access_log stdio:${DEFAULT_SQUID_PATHS.accessLog} logformat=${ACCESS_LOG_FORMAT_NAME}`);
    expect(lines).toContain('cache_log /var/log/squid/cache.log');
    expect(lines).toContain('pid_filename /run/squid.pid');
    expect(lines).toContain('coredump_dir /var/spool/squid');
    expect(conf).not.toMatch(/cache_effective_user|hosts_file|dns_nameservers/);
    const format = lines.find((l) => l.startsWith(`logformat ${ACCESS_LOG_FORMAT_NAME} `))!;
    expect(format).toMatch(/^logformat \S+ \{"time":"%\{%Y-%m-%dT%H:%M:%S\}tg\.%03tuZ",/);
  });

  test('paths, user, hosts file and resolvers can be pointed elsewhere (tests)', () => {
    const other = renderSquidConfig({
      ...input,
      paths: {
        accessLog: '/tmp/x/access.log',
        cacheLog: '/tmp/x/cache.log',
        pidFile: '/tmp/x/squid.pid',
        coredumpDir: '/tmp/x',
      },
      effectiveUser: 'proxy',
      hostsFile: '/tmp/x/hosts',
      dnsNameservers: ['127.0.0.1'],
    }).split('\n');
    for (const l of [
      'access_log stdio:/tmp/x/access.log logformat=cdk_private_eks_json',
      'cache_log /tmp/x/cache.log',
      'pid_filename /tmp/x/squid.pid',
      'coredump_dir /tmp/x',
      'cache_effective_user proxy',
      'hosts_file /tmp/x/hosts',
      'dns_nameservers 127.0.0.1',
    ]) {
      expect(other).toContain(l);
    }
  });

  test('empty lists are refused', () => {
    expect(() => renderSquidConfig({ ...input, allowedDomains: [] })).toThrow(/allowedDomains is empty/);
    expect(() => renderSquidConfig({ ...input, allowedCidrs: [] })).toThrow(/allowedCidrs is empty/);
  });
});
