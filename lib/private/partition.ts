import { Aws, Stack, Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { IConstruct } from 'constructs';

/** The region and DNS suffix of a scope's stack, concrete when the region is (tokens otherwise). */
export interface RegionAndSuffix {
  readonly region: string;
  /** `amazonaws.com`, `amazonaws.com.cn`, ... or the `AWS::URLSuffix` token. */
  readonly urlSuffix: string;
}

/**
 * The region and DNS suffix for host names. A concrete region gives the suffix from aws-cdk-lib's
 * region-info facts (e.g. cn-northwest-1 -> amazonaws.com.cn); a token region gives `AWS::URLSuffix`,
 * which CloudFormation resolves correctly in every partition.
 */
export function regionAndSuffix(scope: IConstruct): RegionAndSuffix {
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(region)) {
    return { region, urlSuffix: Aws.URL_SUFFIX };
  }
  return { region, urlSuffix: RegionInfo.get(region).domainSuffix ?? Aws.URL_SUFFIX };
}
