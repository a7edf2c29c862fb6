/** Proxy URL and NO_PROXY entry parsing (lib/private/proxy-url.ts). */
import { parseProxyUrl, isProblem, noProxyEntryProblem } from '../../lib/private/proxy-url';

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
});
