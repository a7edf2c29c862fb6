/**
 * The egress proxy's squid.conf: the pure renderer and its allowlist normalisation. The real Squid runs
 * the rendered file in test/real-clients/egress-squid.test.ts.
 */
import {
  defaultEgressDomains,
  domainCovers,
  domainProblem,
  normaliseDomain,
  normaliseDomains,
} from '../lib/egress/allowlist';
import {
  ACCESS_LOG_FORMAT_NAME,
  DEFAULT_SQUID_PATHS,
  renderSquidConfig,
  SquidConfigInput,
} from '../lib/egress/squid-config';

const R = '${Token[AWS.Region.4]}';
const S = '${Token[AWS.URLSuffix.9]}';

describe('allowlist entries', () => {
  test.each([
    ['*.Docker.IO.', '.docker.io'],
    ['  registry-1.docker.io ', 'registry-1.docker.io'],
    ['.quay.io', '.quay.io'],
    [`EC2.${R}.${S}`, `ec2.${R}.${S}`],
  ])('%s is written %s', (given, written) => {
    expect(normaliseDomain(given)).toBe(written);
  });

  test('token markers keep their case', () => {
    expect(normaliseDomain('S3.${Token[TOKEN.123]}.Example')).toBe('s3.${Token[TOKEN.123]}.example');
  });

  test.each([
    ['', /empty/],
    ['docker io', /white space/],
    ['https://registry-1.docker.io/v2', /URL/],
    ['quay.io:443', /port/],
    ['user@quay.io', /credentials/],
    ['10.0.0.1', /IP address/],
    ['fd00:ec2::254', /IP address/],
    ['.com', /whole top-level domain/],
    ['*', /not a DNS name/],
    ['registry.*.docker.io', /label '\*'/],
    ['-bad.example', /label '-bad'/],
    [`${'a'.repeat(64)}.example`, /label/],
    [`${'a.'.repeat(127)}example`, /1 to 253/],
  ])('%j is refused', (domain, message) => {
    expect(domainProblem(domain)).toMatch(message);
  });

  test.each([
    'registry-1.docker.io',
    '.docker.io',
    '*.quay.io',
    'localhost',
    'a_b.example',
    `ec2.${R}.${S}`,
    '${Token[TOKEN.7]}',
  ])('%s is accepted', (domain) => {
    expect(domainProblem(domain)).toBeUndefined();
  });

  test('duplicates and entries a wildcard already covers are dropped; wildcards come first, broadest first', () => {
    expect(
      normaliseDomains([
        'registry-1.docker.io',
        'docker.io',
        '.Docker.io',
        'ghcr.io',
        '.b.quay.io',
        '*.quay.io',
        'ghcr.io',
        '.x.y.example',
      ]),
    ).toEqual(['.docker.io', '.quay.io', '.x.y.example', 'ghcr.io']);
  });

  test('overlaps between identical token markers are resolved at synth time', () => {
    expect(normaliseDomains([`.s3.${R}.${S}`, `prod-${R}-starport-layer-bucket.s3.${R}.${S}`, `s3.${R}.${S}`])).toEqual(
      [`.s3.${R}.${S}`],
    );
    expect(domainCovers('.docker.io', 'docker.io')).toBe(true);
    expect(domainCovers('.docker.io', '.docker.io')).toBe(false);
    expect(domainCovers('docker.io', 'a.docker.io')).toBe(false);
    expect(domainCovers('.docker.io', 'adocker.io')).toBe(false);
  });
});

describe('default egress domains', () => {
  test('the regional AWS APIs EKS nodes call, and no public registry', () => {
    expect(defaultEgressDomains('us-east-1', 'amazonaws.com')).toEqual([
      'ec2.us-east-1.amazonaws.com',
      'sts.us-east-1.amazonaws.com',
      'api.ecr.us-east-1.amazonaws.com',
      '.dkr.ecr.us-east-1.amazonaws.com',
      '.s3.us-east-1.amazonaws.com',
      '.s3.dualstack.us-east-1.amazonaws.com',
      'eks.us-east-1.amazonaws.com',
      'eks-auth.us-east-1.api.aws',
      'ssm.us-east-1.amazonaws.com',
      'ssmmessages.us-east-1.amazonaws.com',
      'ec2messages.us-east-1.amazonaws.com',
      'logs.us-east-1.amazonaws.com',
      'cloudformation.us-east-1.amazonaws.com',
    ]);
  });

  test("China: amazonaws.com.cn, and EKS Auth on the partition's dual-stack suffix", () => {
    const cn = defaultEgressDomains('cn-northwest-1', 'amazonaws.com.cn');
    expect(cn).toContain('ec2.cn-northwest-1.amazonaws.com.cn');
    expect(cn).toContain('eks-auth.cn-northwest-1.api.amazonwebservices.com.cn');
    expect(
      cn.filter((d) => !d.startsWith('eks-auth.')).every((d) => d.endsWith('.cn-northwest-1.amazonaws.com.cn')),
    ).toBe(true);
  });

  test('tokens pass through, and every default is a valid, non-overlapping entry', () => {
    const tokens = defaultEgressDomains(R, S);
    expect(tokens).toContain(`.dkr.ecr.${R}.${S}`);
    expect(tokens).toContain(`eks-auth.${R}.api.aws`);
    const concrete = defaultEgressDomains('eu-west-1', 'amazonaws.com');
    concrete.forEach((d) => expect(domainProblem(d)).toBeUndefined());
    expect(normaliseDomains(concrete)).toHaveLength(concrete.length);
    expect(concrete.join(' ')).not.toMatch(/docker|quay|ghcr|public\.ecr\.aws/);
  });
});

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
