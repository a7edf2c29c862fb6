/** The ProxySettings value object (lib/proxy/proxy-settings.ts). */
import { Fn } from 'aws-cdk-lib';
import { readFileSync } from 'fs';
import * as path from 'path';
import { ProxySettings } from '../../lib';
import { PrivateEksValidationError } from '../../lib/errors';

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

describe('ProxySettings caBundle', () => {
  const dir = path.join(__dirname, '..', 'fixtures', 'ca');
  const root = readFileSync(path.join(dir, 'inspection-root-ca.pem'), 'utf8');

  test('inline PEM is kept in canonical form, equal to the same bundle read from a file', () => {
    const inline = ProxySettings.fromUrl('http://proxy:3128', { caBundle: `# corp root\n${root}` });
    const file = ProxySettings.fromHost('proxy', 3128, { caBundleFile: path.join(dir, 'inspection-root-ca.pem') });
    expect(inline.caBundle).toBe(root);
    expect(file.caBundle).toBe(root);
  });

  test('no bundle: undefined', () => {
    expect(ProxySettings.fromUrl('http://proxy:3128').caBundle).toBeUndefined();
  });

  test.each([
    [{ caBundle: 'not a certificate' }, /caBundle contains no PEM certificate/],
    [
      { caBundle: `${root}-----BEGIN PRIVATE KEY-----\nMIG\n-----END PRIVATE KEY-----\n` },
      /caBundle contains a private key/,
    ],
    [{ caBundle: Fn.importValue('CorpCa') }, /caBundle is a token/],
    [{ caBundle: root, caBundleFile: 'x.pem' }, /caBundleFile is set together with caBundle/],
    [{ caBundleFile: path.join(dir, 'missing.pem') }, /caBundleFile \(.*missing\.pem\) cannot be read/],
    [{ caBundleFile: path.join(dir, '..', 'README.md') }, /caBundleFile contains no PEM certificate/],
  ])('%j is refused with our error naming the prop', (options, message) => {
    let error: unknown;
    try {
      ProxySettings.fromUrl('http://proxy:3128', options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PrivateEksValidationError);
    expect((error as Error).message).toMatch(message);
  });
});
