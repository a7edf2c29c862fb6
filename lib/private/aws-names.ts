/**
 * Grammars of AWS names the library writes into policies. Pure; no CDK imports (callers skip tokens).
 */
import * as net from 'net';
import { notAStringProblem } from './validation';

/**
 * What is wrong with an S3 bucket name, or undefined when it is one. The general-purpose bucket naming
 * rules (S3 user guide, "General purpose bucket naming rules"): 3 to 63 characters, lowercase letters,
 * digits, dots and hyphens, starting and ending with a letter or digit, no two adjacent dots, not an IP
 * address. One trailing `*` may follow at least three such characters, for a family of buckets
 * (`my-logs-*`); a bare `*` would open the gateway endpoint to every bucket.
 */
export function s3BucketNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') {
    return notAStringProblem(name);
  }
  const prefix = name.endsWith('*') ? name.slice(0, -1) : undefined;
  if (prefix !== undefined) {
    if (prefix.length < 3 || !/^[a-z0-9][a-z0-9.-]*$/.test(prefix) || prefix.includes('..') || prefix.includes('*')) {
      return `'${name}' is a wildcard without a bucket-name prefix of at least three characters, so it would allow too many buckets`;
    }
    return undefined;
  }
  if (name.length < 3 || name.length > 63 || !/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name) || name.includes('..')) {
    return `'${name}' is not an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit)`;
  }
  if (net.isIPv4(name)) {
    return `'${name}' is formatted as an IP address, which S3 does not allow as a bucket name`;
  }
  return undefined;
}
