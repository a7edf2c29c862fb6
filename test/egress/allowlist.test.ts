/**
 * The egress proxy's allowlist: normalisation and validation of entries, and the default domains derived
 * from the endpoint catalogue (lib/egress/allowlist.ts).
 */
import {
  defaultEgressDomains,
  domainCovers,
  domainProblem,
  normaliseDomain,
  normaliseDomains,
} from '../../lib/egress/allowlist';

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
