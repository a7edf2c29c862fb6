/** Proxy URL and NO_PROXY entry parsing (lib/private/proxy-url.ts). */
import * as fc from 'fast-check';
import { hostProblem, isProblem, noProxyEntryProblem, parseProxyUrl } from '../../lib/private/proxy-url';

describe('parseProxyUrl', () => {
  test.each([
    ['http://proxy.corp.example:3128', 'http://proxy.corp.example:3128'],
    ['HTTP://Proxy.Corp.Example:3128/', 'http://proxy.corp.example:3128'],
    ['https://10.0.0.254:443', 'https://10.0.0.254:443'],
    ['http://[fd00::1]:8080', 'http://[fd00::1]:8080'],
  ])('%s is accepted as %s', (raw, url) => {
    const parsed = parseProxyUrl(raw);
    expect(isProblem(parsed)).toBe(false);
    expect(parsed).toMatchObject({ url });
  });

  test.each([
    ['proxy.corp.example:3128', /no scheme/],
    ['socks5://proxy:1080', /scheme 'socks5'/],
    ['http://proxy', /no port/],
    ['http://user:pa%40ss@proxy:3128', /credentials/],
    ['http://proxy:3128/path', /path/],
    ['http://proxy:0', /outside 1-65535/],
    ['http://proxy:70000', /outside 1-65535/],
    ['http://pro xy:3128', /white space/],
    ['http://pro_xy!:3128', /invalid host/],
    // The WHATWG URL parser reads a name ending in a number as IPv4 (https://url.spec.whatwg.org/#ends-in-a-number-checker).
    ['http://proxy.1:3128', /invalid host/],
    ['http://a.0x0:3128', /invalid host/],
    ['http://xn--a:3128', /invalid host/],
  ])('%s is rejected', (raw, message) => {
    const parsed = parseProxyUrl(raw);
    expect(isProblem(parsed)).toBe(true);
    expect(isProblem(parsed) && `${parsed.problem}. ${parsed.fix}`).toMatch(message);
  });

  test('the port error says why the default is not taken', () => {
    const parsed = parseProxyUrl('http://proxy');
    expect(isProblem(parsed) && parsed.fix).toMatch(/curl uses 1080/);
  });
});

describe('hostProblem', () => {
  test.each([
    ['f.1', /ends in a number/],
    ['corp.0x1f', /ends in a number/],
    ['a.0x', /ends in a number/],
    ['300.1.1.1', /not a valid IPv4 address/],
    ['xn--a', /punycode/],
  ])('%s is refused: %s', (host, why) => {
    expect(hostProblem(host)).toMatch(why);
  });

  test.each(['proxy.corp.example', 'p', '1a.example', 'corp.0xg', 'xn--bcher-kva.example', '10.0.0.1', '[fd00::1]'])(
    '%s is a host',
    (host) => {
      expect(hostProblem(host)).toBeUndefined();
    },
  );

  test('generated names: every accepted host makes a proxy URL that parses (fromHost and fromUrl agree)', () => {
    const label = fc.string({
      unit: fc.constantFrom('a', 'f', 'x', 'X', '0', '1', '9', '-', '_'),
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), (labels) => {
        const host = labels.join('.');
        if (hostProblem(host) === undefined) {
          expect(isProblem(parseProxyUrl(`http://${host}:3128`))).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('NO_PROXY entries', () => {
  test.each(['.corp.example', 'host.example', '10.0.0.0/8', '192.168.1.7', 'fd00:ec2::254', '*', 'host:8080'])(
    '%s is valid',
    (e) => {
      expect(noProxyEntryProblem(e)).toBeUndefined();
    },
  );
  test.each(['', 'a,b', 'has space', '$HOME', '10.0.0.0/40', '300.1.1.1/8', 'quote"d'])('%s is invalid', (e) => {
    expect(noProxyEntryProblem(e)).toBeDefined();
  });

  test.each(['[::1]', '::1', 'fd00::/64', 'fc00::/7', '*.example.com', 'host_1.example', '10.0.0.1:443', '10.0.0.0/8'])(
    '%s is valid too',
    (e) => {
      expect(noProxyEntryProblem(e)).toBeUndefined();
    },
  );

  test.each([
    ['[::1', /not a host name/],
    ['fd00::/129', /longer than \/128/],
    [':::', /not a host name/],
    ['0.0.0.0/1', /covers more than a \/8/],
    ['10.0.0.0/7', /covers more than a \/8/],
    ['::/0', /covers more than a \/7/],
    ['a..b', /not a host name/],
    ['-a.example', /not a host name/],
    ['host:99999', /not a host name|outside 1-65535/],
    ['host:0', /outside 1-65535/],
    ['300.1.1.1', /not a host name/],
    ['a\nb', /not a host name/],
    ['x'.repeat(300), /not a host name/],
    [undefined, /missing/],
  ])('%j is refused: %s', (e, why) => {
    expect(noProxyEntryProblem(e)).toMatch(why);
  });

  test('generated strings: an accepted entry holds only host, address and CIDR characters', () => {
    const piece = fc.oneof(
      fc.constantFrom("'", '"', '`', '$(', ')', ';', '\n', '\0', ' ', ',', '=', '%', '\\', '#', '@'),
      fc.constantFrom('a', 'Z', '0', '9', '.', '-', '_', ':', '/', '*', '[', ']', 'fd00', '10.0.0.0', 'example.com'),
      fc.string({ unit: 'grapheme', maxLength: 2 }),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 10 }).map((p) => p.join('')),
        (entry) => {
          if (noProxyEntryProblem(entry) === undefined) {
            expect(entry).toMatch(/^[A-Za-z0-9._:*[\]/-]+$/);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('hosts', () => {
  test.each(['proxy', 'proxy.corp.example', '10.1.2.3', '[fd00::1]', 'internal-egress-1.us-east-1.elb.amazonaws.com'])(
    '%s is a host',
    (h) => {
      expect(hostProblem(h)).toBeUndefined();
    },
  );

  test.each([
    [undefined, /missing/],
    [3128, /not a string/],
    ['', /empty/],
    ['a b', /not a DNS name/],
    ['300.1.1.1', /not a valid IPv4/],
    ['[::1', /not a DNS name/],
    ['[zz::1]', /not a valid IPv6/],
    ['proxy:3128', /not a DNS name/],
    ['$(id)', /not a DNS name/],
  ])('%j is not: %s', (h, why) => {
    expect(hostProblem(h)).toMatch(why);
  });
});
