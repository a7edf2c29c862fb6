/** The CA bundle parser (lib/private/ca-bundle.ts), checked against Node's and OpenSSL's own parsing. */
import { X509Certificate } from 'crypto';
import { readFileSync } from 'fs';
import * as path from 'path';
import {
  CaBundle,
  caBundleEnvironment,
  caBundleNotes,
  combinedBundle,
  isCaBundleProblem,
  parseCaBundle,
} from '../../lib/private/ca-bundle';

const fixture = (name: string): string => readFileSync(path.join(__dirname, '..', 'fixtures', 'ca', name), 'utf8');
const rootA = fixture('inspection-root-ca.pem');
const rootB = fixture('second-root-ca.pem');
const leaf = fixture('leaf-not-ca.pem');

function parsed(text: string): CaBundle {
  const result = parseCaBundle(text);
  if (isCaBundleProblem(result)) {
    throw new Error(result.problem);
  }
  return result;
}

describe('parseCaBundle', () => {
  test('two certificates: subjects, CA flags and the exact DER of each, in order', () => {
    const bundle = parsed(rootA + rootB);
    expect(bundle.certificates.map((c) => c.subject)).toEqual([
      'O=Example Corp, CN=Example Corp TLS Inspection Root CA',
      'C=DE, O=Example Bank, CN=Example Bank Proxy CA 2',
    ]);
    expect(bundle.certificates.map((c) => c.ca)).toEqual([true, true]);
    // The canonical text carries the same certificates as the input, byte for byte in DER.
    expect(bundle.certificates.map((c) => new X509Certificate(c.pem).raw)).toEqual([
      new X509Certificate(rootA).raw,
      new X509Certificate(rootB).raw,
    ]);
    expect(bundle.pem).toBe(bundle.certificates.map((c) => c.pem).join(''));
  });

  test('comments, CRLF line ends and text between blocks are dropped; the text is base64, dashes and labels only', () => {
    const messy = `# Issuer: Example Corp\r\n${rootA.replace(/\n/g, '\r\n')}\r\nBundle: x $(reboot) 'q' "z"\n${rootB}trailing`;
    const bundle = parsed(messy);
    expect(bundle.pem).toBe(parsed(rootA + rootB).pem);
    expect(bundle.pem).toMatch(/^(-----(BEGIN|END) CERTIFICATE-----\n|[A-Za-z0-9+/=]{1,64}\n)+$/);
  });

  test('a certificate given twice is kept once and counted', () => {
    const bundle = parsed(rootA + rootA + rootB);
    expect(bundle.certificates).toHaveLength(2);
    expect(bundle.duplicates).toBe(1);
  });

  test('a certificate without CA constraint parses, flagged as not a CA', () => {
    expect(parsed(leaf).certificates[0]).toMatchObject({ subject: 'CN=proxy.corp.example', ca: false });
  });

  test.each([
    ['empty text', '', /contains no PEM certificate/],
    ['text without PEM', 'MIIB...', /contains no PEM certificate/],
    ['a private key', `${rootA}-----BEGIN PRIVATE KEY-----\nMIG\n-----END PRIVATE KEY-----\n`, /private key/],
    ['an EC private key', '-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n', /private key/],
    [
      'a CSR',
      '-----BEGIN CERTIFICATE REQUEST-----\nMII\n-----END CERTIFICATE REQUEST-----\n',
      /CERTIFICATE REQUEST block/,
    ],
    [
      'a truncated certificate',
      rootA.slice(0, 200) + '\n-----END CERTIFICATE-----\n',
      /number 1\) that does not parse/,
    ],
    [
      'a body that is not base64',
      '-----BEGIN CERTIFICATE-----\n$(reboot)\n-----END CERTIFICATE-----\n',
      /does not parse/,
    ],
    ['a missing END line', rootB + rootA.split('-----END')[0], /without its -----END CERTIFICATE-----/],
  ])('%s is refused', (_name, text, problem) => {
    const result = parseCaBundle(text);
    expect(isCaBundleProblem(result) && result.problem).toMatch(problem);
  });
});

describe('caBundleNotes', () => {
  test('one line per certificate; warnings for a leaf and for an expired certificate', () => {
    const bundle = parsed(rootA + leaf);
    const notAfter = new Date(bundle.certificates[0].notAfter);
    const now = caBundleNotes(bundle, new Date('2026-12-03T00:00:00Z'));
    expect(now.info).toMatch(
      /^proxy\.caBundle: 2 certificate\(s\) trusted in addition to the public roots\.\n1\. O=Example Corp, CN=Example Corp TLS Inspection Root CA \(until \d{4}-.*\n2\. CN=proxy\.corp\.example /,
    );
    expect(now.warnings).toEqual([expect.stringMatching(/"CN=proxy\.corp\.example", which is not a CA certificate/)]);
    const later = caBundleNotes(bundle, new Date(notAfter.getTime() + 86_400_000));
    expect(later.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/"O=Example Corp, CN=Example Corp TLS Inspection Root CA", which expired on/),
      ]),
    );
  });

  test('duplicates are reported', () => {
    expect(caBundleNotes(parsed(rootA + rootA), new Date(0)).info).toMatch(/1 duplicate certificate\(s\) dropped/);
  });
});

describe('combinedBundle', () => {
  test('every public root, then the proxy CA: the bundle adds to the roots, never replaces them', () => {
    const roots = ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', rootB];
    const combined = combinedBundle(roots, parsed(rootA).pem);
    expect(combined).toBe(`${roots[0]}\n${rootB.trim()}\n${parsed(rootA).pem}`);
  });

  test('caBundleEnvironment names the variable of each client family', () => {
    expect(caBundleEnvironment('/x.pem')).toEqual({
      SSL_CERT_FILE: '/x.pem',
      REQUESTS_CA_BUNDLE: '/x.pem',
      AWS_CA_BUNDLE: '/x.pem',
    });
  });
});
