/** The ProxySettings value object (lib/proxy/proxy-settings.ts). */
import { Fn } from 'aws-cdk-lib';
import { ProxySettings } from '../../lib';

describe('ProxySettings.fromHost', () => {
  test('a concrete host gives the normalised URL and host:port', () => {
    const p = ProxySettings.fromHost('proxy.corp.example', 3128);
    expect(p.httpProxy).toBe('http://proxy.corp.example:3128');
    expect(p.httpsProxyHostPort).toBe('proxy.corp.example:3128');
  });

  test('a token host keeps host:port known (for Bottlerocket)', () => {
    const p = ProxySettings.fromHost(Fn.importValue('ProxyDns'), 3128);
    expect(p.httpsProxyHostPort).toMatch(/^\$\{Token\[.*\]\}:3128$/);
  });

  test.each([[0], [70000], [1.5]])('port %s is refused', (port) => {
    expect(() => ProxySettings.fromHost('proxy', port)).toThrow(/port/);
  });

  test('a host with a scheme is refused', () => {
    expect(() => ProxySettings.fromHost('http://proxy', 3128)).toThrow(/without scheme/);
  });
});
