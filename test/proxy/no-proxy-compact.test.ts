/** NO_PROXY compaction (lib/proxy/no-proxy-compact.ts). Go itself checks the meaning: real-clients/no-proxy-compaction. */
import {
  compactNoProxy,
  covers,
  goMatcher,
  NODE_CLASS_NO_PROXY_LIMITS,
  parseIp,
} from '../../lib/proxy/no-proxy-compact';
import { ALWAYS_DIRECT, composeNoProxy } from '../../lib/proxy/no-proxy';
import { testStack } from '../support/cdk';

const R = 'us-east-1.amazonaws.com';
const limits = (maxEntries: number, maxEntryLength = 255) => ({ limits: { maxEntries, maxEntryLength } });

/** The list of a cluster with the usual endpoints and some user entries. */
const full = composeNoProxy({
  region: 'us-east-1',
  urlSuffix: 'amazonaws.com',
  vpcCidrs: ['10.0.0.0/16'],
  serviceCidr: '172.20.0.0/16',
  addresses: ['172.20.0.1', '172.20.0.10'],
  endpointHosts: [`ec2.${R}`, `api.ecr.${R}`, `dkr.ecr.${R}`, `s3.${R}`, `s3.dualstack.${R}`, `sts.${R}`],
  extra: ['.corp.example', 'git.corp.example', '10.1.0.0/24', '10.1.1.0/24'],
});

describe('compactNoProxy', () => {
  test('a list that fits is returned as it is, with no steps', () => {
    const r = compactNoProxy(full, { limits: NODE_CLASS_NO_PROXY_LIMITS });
    expect(r).toEqual({ entries: full, steps: [], problem: undefined });
  });

  test('step 1 drops only entries another entry covers (addresses in CIDRs, subdomains, duplicates)', () => {
    const r = compactNoProxy(full, limits(full.length - 1));
    // s3.dualstack.R stays: it is not under s3.R.
    expect(r.steps).toEqual([
      { step: 'subsumed', removed: ['172.20.0.1', '172.20.0.10', 'git.corp.example'], added: [] },
    ]);
    expect(r.entries).toHaveLength(full.length - 3);
    expect(r.problem).toBeUndefined();
  });

  test('step 2 merges sibling CIDRs, step 3 drops what Go never needs (loopback, bracketed IPv6)', () => {
    const r = compactNoProxy(full, limits(full.length - 6));
    expect(r.steps.map((s) => s.step)).toEqual(['subsumed', 'merged', 'go-built-in']);
    expect(r.steps[1]).toEqual({ step: 'merged', removed: ['10.1.0.0/24', '10.1.1.0/24'], added: ['10.1.0.0/23'] });
    expect(r.steps[2]).toEqual({
      step: 'go-built-in',
      removed: ['127.0.0.1', '[fd00:ec2::254]', '[fd00:ec2::23]'],
      added: [],
    });
    // localhost stays: Go's own rule is for the exact name, the entry also covers *.localhost.
    expect(r.entries).toContain('localhost');
    expect(r.entries).toContain('10.1.0.0/23');
    expect(r.problem).toBeUndefined();
  });

  test('step 4 replaces entries under a vouched-for domain, only when asked', () => {
    const small = limits(full.length - 8);
    expect(compactNoProxy(full, small).problem).toMatch(/entries after compaction, more than the \d+ allowed/);
    const r = compactNoProxy(full, { ...small, covers: [`ecr.${R}`] });
    expect(r.steps[3]).toEqual({ step: 'covered', removed: [`api.ecr.${R}`, `dkr.ecr.${R}`], added: [`ecr.${R}`] });
    // In the place of the first entry it covers.
    expect(r.entries[r.entries.indexOf(`ec2.${R}`) + 1]).toBe(`ecr.${R}`);
    expect(r.problem).toBeUndefined();
  });

  test('fails with the count and the long entries when nothing more can go', () => {
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(20)}.example`;
    const r = compactNoProxy([...ALWAYS_DIRECT, long], limits(3));
    expect(r.problem).toBe(
      `has 6 entries after compaction, more than the 3 allowed and has entries longer than 255 characters ('${long.slice(0, 40)}...' ${long.length})`,
    );
  });

  test('a list with * becomes *', () => {
    expect(compactNoProxy(['localhost', '*', '10.0.0.0/8', '.example'], limits(1)).entries).toEqual(['*']);
  });

  test('IPv6 CIDRs merge and print in RFC 5952 form', () => {
    const r = compactNoProxy(['fd00:1::/33', 'fd00:1:8000::/33', 'fd00:1::5'], limits(1));
    expect(r.entries).toEqual(['fd00:1::/32']);
  });

  test('tokens: a whole token is kept; a domain with tokens is compared by its text', () => {
    const stack = testStack();
    const region = `.${stack.region}.${stack.urlSuffix}`;
    const vpcCidr = '${Token[TOKEN.99]}';
    const r = compactNoProxy([vpcCidr, `ec2${region}`, `s3${region}`, `bucket.s3${region}`], limits(2));
    expect(region).toMatch(/^\.\$\{Token\[AWS\.Region\.\d+\]\}\.\$\{Token\[AWS\.URLSuffix\.\d+\]\}$/);
    expect(r.steps[0].removed).toEqual([`bucket.s3${region}`]);
    expect(r.entries).toEqual([vpcCidr, `ec2${region}`, `s3${region}`]);
    expect(r.problem).toMatch(/has 3 entries/);
  });
});

describe("goMatcher reads entries as Go's httpproxy does", () => {
  test.each([
    ['*', { kind: 'all' }],
    ['10.0.0.0/16', { kind: 'cidr', family: 4, network: 0x0a000000n, prefix: 16 }],
    ['10.0.0.1/16', { kind: 'cidr', family: 4, network: 0x0a000000n, prefix: 16 }],
    ['10.0.0.1', { kind: 'ip', family: 4, address: 0x0a000001n, port: '' }],
    ['10.0.0.1:8080', { kind: 'ip', family: 4, address: 0x0a000001n, port: '8080' }],
    ['fd00:ec2::254', { kind: 'ip', family: 6, address: 0xfd000ec2000000000000000000000254n, port: '' }],
    ['[fd00:ec2::254]:80', { kind: 'ip', family: 6, address: 0xfd000ec2000000000000000000000254n, port: '80' }],
    ['[fd00:ec2::254]', { kind: 'inert' }],
    ['127.0.0.1', { kind: 'inert' }],
    ['127.0.0.0/8', { kind: 'inert' }],
    ['::1', { kind: 'inert' }],
    ['Example.COM', { kind: 'domain', suffix: '.example.com', matchHost: true, port: '' }],
    ['.example.com', { kind: 'domain', suffix: '.example.com', matchHost: false, port: '' }],
    ['*.example.com:443', { kind: 'domain', suffix: '.example.com', matchHost: false, port: '443' }],
    ['${Token[TOKEN.1]}', { kind: 'opaque' }],
  ])('%s', (entry, expected) => {
    expect(goMatcher(entry)).toEqual(expected);
  });

  test.each([
    ['::ffff:10.0.0.1', 0xffff0a000001n],
    ['1::', 1n << 112n],
    ['1:2:3:4:5:6:7:8', 0x00010002000300040005000600070008n],
  ])('parseIp(%s)', (text, address) => {
    expect(parseIp(text)).toEqual({ family: 6, address });
  });

  test.each(['010.0.0.1', '256.0.0.1', '1:2:3:4:5:6:7:8:9', '1::2::3', ':::', '1:2:3:4:5:6:7', 'g::1', '::1.2.3'])(
    'parseIp rejects %s',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );
});

describe('covers', () => {
  const c = (a: string, b: string) => covers(goMatcher(a), goMatcher(b));
  test.each([
    ['example.com', 'example.com', true],
    ['example.com', '.example.com', true],
    ['.example.com', 'example.com', false],
    ['.example.com', 'a.example.com', true],
    ['example.com', 'a.example.com:443', true],
    ['example.com:443', 'a.example.com', false],
    ['example.com:443', 'a.example.com:443', true],
    ['ample.com', 'example.com', false],
    ['10.0.0.0/16', '10.0.255.255', true],
    ['10.0.0.0/16', '10.1.0.0', false],
    ['10.0.0.0/16', '10.0.0.0/15', false],
    ['10.0.0.0/15', '10.1.0.0/16', true],
    ['10.0.0.1', '10.0.0.1:80', true],
    ['10.0.0.1:80', '10.0.0.1', false],
    ['fd00::/8', 'fd00:ec2::254', true],
    ['fd00::/8', '10.0.0.1', false],
    ['10.0.0.0/8', 'ten.example', false],
    ['example.com', '${Token[TOKEN.1]}', false],
  ])('%s covers %s: %s', (a, b, expected) => {
    expect(c(a, b)).toBe(expected);
  });
});
