/**
 * Pure partition DNS facts shared by the endpoint catalogue and the egress proxy's allowlist.
 */

/**
 * The dual-stack DNS suffix of a partition, from its standard suffix (botocore/SDK partitions.json:
 * aws and aws-us-gov `api.aws`, aws-cn `api.amazonwebservices.com.cn`). A token suffix is taken as
 * commercial: China stacks need a concrete region in this library.
 */
export function dualStackSuffix(urlSuffix: string): string {
  return urlSuffix === 'amazonaws.com.cn' ? 'api.amazonwebservices.com.cn' : 'api.aws';
}
