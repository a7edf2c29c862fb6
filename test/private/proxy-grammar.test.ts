import * as net from 'net';
import fc from 'fast-check';
import {
  IPV4,
  IPV6,
  matchesHost,
  matchesNoProxyEntry,
  matchesNoProxyList,
  matchesProxyUrl,
  renderShellGrammar,
} from '../../lib/private/proxy-grammar';

const whole = (ere: string) => new RegExp(`^(${ere})$`);

/** Strings near IPv6 addresses: groups, colons, dots, digits and the odd character. */
const ipv6ish = fc
  .array(
    fc.constantFrom(
      '::',
      ':',
      '0',
      'f',
      'ffff',
      'FFFF',
      '12345',
      '1.2.3.4',
      '256.1.1.1',
      '.',
      'g',
      '%eth0',
      '01.2.3.4',
    ),
    {
      maxLength: 12,
    },
  )
  .map((p) => p.join(''));

describe('the IP address expressions agree with Node', () => {
  test('IPv4: 2000 generated addresses and near-addresses', () => {
    const near = fc
      .array(fc.constantFrom('0', '1', '25', '255', '256', '01', '.', '999', 'a'), { maxLength: 8 })
      .map((p) => p.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), near), (s) => whole(IPV4).test(s) === net.isIPv4(s)),
      { numRuns: 2000 },
    );
  });

  test('IPv6 (without zone, which Node accepts but a NO_PROXY entry or URL never holds): 3000 generated', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV6(), ipv6ish), (s) => whole(IPV6).test(s) === (net.isIPv6(s) && !s.includes('%'))),
      { numRuns: 3000 },
    );
  });
});

describe('the grammars', () => {
  test.each([
    ['proxy.example.com', true],
    ['10.0.0.1', true],
    ['[fd00::1]', true],
    ['[::ffff:10.0.0.1]', true],
    ['300.1.1.1', false],
    ['1234', false],
    ['-a.example', false],
    ['a'.repeat(64), false],
    [`${'a'.repeat(60)}.`.repeat(5) + 'com', false],
    ['fd00::1', false],
    ['[fe80::1%eth0]', false],
    ['ex ample', false],
    ['exa$(id)mple', false],
  ])('host %j: %s', (host, ok) => {
    expect(matchesHost(host)).toBe(ok);
  });

  test.each([
    ['http://proxy.example.com:3128', true],
    ['HTTPS://proxy.example.com:3128/', true],
    ['http://[fd00::1]:3128', true],
    ['http://proxy.example.com', false],
    ['http://proxy.example.com:0', false],
    ['http://proxy.example.com:03128', false],
    ['http://proxy.example.com:65536', false],
    ['http://user:pw@proxy.example.com:3128', false],
    ['http://proxy.example.com:3128/path', false],
    ['http://proxy.example.com:3128#frag', false],
    ["http://proxy.example.com:3128'", false],
    ['http://proxy.example.com:3128\n', false],
    ['socks5://proxy.example.com:1080', false],
  ])('proxy URL %j: %s', (url, ok) => {
    expect(matchesProxyUrl(url)).toBe(ok);
  });

  test.each([
    ['*', true],
    ['.corp.example', true],
    ['*.corp.example', true],
    ['corp.example:8443', true],
    ['10.0.0.0/8', true],
    ['10.0.0.0/7', false],
    ['fd00::/7', true],
    ['fd00::/6', false],
    ['fd00::/129', false],
    ['[::1', false],
    [':::', false],
    ['fd00:ec2::254', true],
    ['[fd00:ec2::254]', true],
    ['..corp', false],
    ['a,b', false],
  ])('NO_PROXY entry %j: %s', (entry, ok) => {
    expect(matchesNoProxyEntry(entry)).toBe(ok);
  });

  test('a NO_PROXY list has no empty entry', () => {
    expect(matchesNoProxyList('localhost,10.0.0.0/16')).toBe(true);
    expect(matchesNoProxyList('localhost,')).toBe(false);
    expect(matchesNoProxyList(',localhost')).toBe(false);
    expect(matchesNoProxyList('a,,b')).toBe(false);
    expect(matchesNoProxyList('')).toBe(false);
  });

  test('the shell check holds each block once, in single quotes, and composes the rest from them', () => {
    const text = renderShellGrammar().join('\n');
    expect(text).toContain("re_h16='[0-9A-Fa-f]{1,4}'");
    expect(text).toContain('re_ipv4="${re_octet}([.]${re_octet}){3}"');
    expect(text).not.toContain(IPV6);
    expect(text.length).toBeLessThan(3000);
  });
});
