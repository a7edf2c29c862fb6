/** What the real-client suites ask openssl for when they make test CAs and server certificates. */

/**
 * `openssl req` arguments for a new, unencrypted P-256 key written to `keyFile`. Every test certificate is on
 * P-256: openssl makes such a key in about 10 ms, an RSA 2048 one in 0.1 to 1 s, and every client here (curl, Go,
 * Python, Squid, botocore) takes either.
 */
export function newP256Key(keyFile: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile];
}
