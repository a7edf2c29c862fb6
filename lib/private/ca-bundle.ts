/**
 * The CA bundle of a TLS-inspecting proxy: PEM certificates parsed with Node's `crypto.X509Certificate`
 * and written back in one canonical form. Pure, no library imports.
 *
 * The canonical text holds only `-----BEGIN CERTIFICATE-----` blocks, each the certificate's DER re-encoded
 * as base64 in 64-character lines (RFC 7468 "strict" form), joined by newlines and ending in one. So
 * whatever the input carried around the certificates (comments, `Bundle:` headers, CRLF line ends, text
 * between blocks) never reaches a shell here-document, TOML, YAML or a ConfigMap: the text consists of
 * base64 characters, dashes, spaces in the labels and newlines only.
 */
import { X509Certificate } from 'crypto';

/** One certificate of a bundle, as the synth notes show it. */
export interface CaCertificate {
  /** The subject, one `key=value` per line as Node prints it, joined with `, `. */
  readonly subject: string;
  /** The end of the validity period, as an ISO 8601 date-time. */
  readonly notAfter: string;
  /** True when the certificate's basic constraints make it a CA. */
  readonly ca: boolean;
  /** The SHA-256 fingerprint (colon-separated hex), to tell certificates with the same subject apart. */
  readonly fingerprint256: string;
  /** The certificate as one canonical PEM block (ending in a newline). */
  readonly pem: string;
}

/** A parsed bundle: its certificates (duplicates dropped) and their canonical PEM text. */
export interface CaBundle {
  readonly certificates: CaCertificate[];
  /** Every certificate's canonical PEM block, in the order given. */
  readonly pem: string;
  /** How many certificates were given twice and dropped. */
  readonly duplicates: number;
}

/** Why a bundle cannot be used, and how to fix it. */
export interface CaBundleProblem {
  readonly problem: string;
  readonly fix: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const ANY_BEGIN = /-----BEGIN ([^-\r\n]*)-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parse a PEM bundle, or say what is wrong with it (no certificate, a private key, a block that does not parse). */
export function parseCaBundle(text: string): CaBundle | CaBundleProblem {
  const fix =
    'Give one or more PEM certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----), e.g. the root CA your proxy signs its certificates with';
  const begins = [...text.matchAll(ANY_BEGIN)].map((m) => m[1]);
  const keys = begins.filter((label) => /PRIVATE KEY/.test(label));
  if (keys.length > 0) {
    return {
      problem: `contains a private key (-----BEGIN ${keys[0]}-----), which would end up in user data, the template and a ConfigMap`,
      fix: "Give only the CA's certificate: a private key must never leave the proxy",
    };
  }
  const others = begins.filter((label) => label !== 'CERTIFICATE');
  if (others.length > 0) {
    return { problem: `contains a ${others[0]} block, not a certificate`, fix };
  }
  const blocks = [...text.matchAll(BLOCK)];
  if (blocks.length === 0) {
    return { problem: 'contains no PEM certificate', fix };
  }
  if (blocks.length !== begins.length) {
    return { problem: 'has a -----BEGIN CERTIFICATE----- line without its -----END CERTIFICATE----- line', fix };
  }
  const certificates: CaCertificate[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const [i, block] of blocks.entries()) {
    const body = block[2].replace(/\s+/g, '');
    const parsed = BASE64_BODY.test(body) ? parseDer(Buffer.from(body, 'base64')) : undefined;
    if (!parsed) {
      return { problem: `has a certificate (number ${i + 1}) that does not parse as X.509`, fix };
    }
    if (seen.has(parsed.fingerprint256)) {
      duplicates++;
      continue;
    }
    seen.add(parsed.fingerprint256);
    certificates.push(parsed);
  }
  return { certificates, pem: certificates.map((c) => c.pem).join(''), duplicates };
}

/** True when `parseCaBundle` found a problem. */
export function isCaBundleProblem(x: CaBundle | CaBundleProblem): x is CaBundleProblem {
  return 'problem' in x;
}

function parseDer(der: Buffer): CaCertificate | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return undefined;
  }
  const lines = cert.raw.toString('base64').match(/.{1,64}/g) ?? [];
  return {
    subject: cert.subject.split('\n').join(', '),
    notAfter: new Date(cert.validTo).toISOString(),
    ca: cert.ca,
    fingerprint256: cert.fingerprint256,
    pem: ['-----BEGIN CERTIFICATE-----', ...lines, '-----END CERTIFICATE-----', ''].join('\n'),
  };
}

/** What the synth notes say about a bundle: one line per certificate, and warnings for suspicious ones. */
export interface CaBundleNotes {
  readonly info: string;
  readonly warnings: string[];
}

/**
 * The synth notes of a bundle, as of `now`: each certificate's subject, expiry and fingerprint; a warning
 * for a certificate that is not a CA (a proxy's leaf certificate given by mistake) and for one that has
 * expired (clients refuse every chain ending in it).
 */
export function caBundleNotes(bundle: CaBundle, now: Date): CaBundleNotes {
  const lines = bundle.certificates.map(
    (c, i) => `${i + 1}. ${c.subject} (until ${c.notAfter}, SHA-256 ${c.fingerprint256.slice(0, 23)}...)`,
  );
  const duplicates = bundle.duplicates > 0 ? ` ${bundle.duplicates} duplicate certificate(s) dropped.` : '';
  const warnings: string[] = [];
  for (const c of bundle.certificates) {
    if (!c.ca) {
      warnings.push(
        `proxy.caBundle holds "${c.subject}", which is not a CA certificate (no basicConstraints CA:TRUE): ` +
          "give the CA that signs the proxy's certificates, not a certificate the proxy presents",
      );
    }
    if (new Date(c.notAfter).getTime() < now.getTime()) {
      warnings.push(
        `proxy.caBundle holds "${c.subject}", which expired on ${c.notAfter}: clients refuse chains ending in it`,
      );
    }
  }
  return {
    info: `proxy.caBundle: ${bundle.certificates.length} certificate(s) trusted in addition to the public roots.${duplicates}\n${lines.join('\n')}`,
    warnings,
  };
}

/** Where the CA layer puts the combined bundle in a Lambda function (layers are extracted to /opt). */
export const LAMBDA_CA_BUNDLE_PATH = '/opt/cdk-private-eks/ca/ca-bundle.pem';

/**
 * The variables that point a process's TLS clients at a combined bundle (public roots and the proxy's CA),
 * each read by a different client family:
 * - `SSL_CERT_FILE`: Go's crypto/x509 on Linux (kubectl, helm; `root_unix.go`: the file replaces the default
 *   file list) and OpenSSL's default verify paths (curl, Python's `ssl.create_default_context()` and so
 *   `urllib`);
 * - `REQUESTS_CA_BUNDLE`: Python requests (`requests.utils.get_environ_proxies`/`merge_environment_settings`);
 * - `AWS_CA_BUNDLE`: botocore and the AWS CLI, and the AWS SDK for Go v2 (`config/env_config.go`,
 *   `AWS_CA_BUNDLE`: the SDK's root pool is built from this file alone).
 * Every one of them replaces its default roots with the file, so the file must hold the public roots too.
 */
export function caBundleEnvironment(bundlePath: string): Record<string, string> {
  return { SSL_CERT_FILE: bundlePath, REQUESTS_CA_BUNDLE: bundlePath, AWS_CA_BUNDLE: bundlePath };
}

/** The public roots followed by the proxy's CA, as one PEM file. */
export function combinedBundle(publicRoots: readonly string[], proxyCa: string): string {
  return [...publicRoots.map((r) => r.trim() + '\n'), proxyCa].join('');
}
