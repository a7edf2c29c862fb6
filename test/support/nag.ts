/**
 * The cdk-nag packs the repository checks every example with, and the findings of a failed synth: cdk-nag's
 * AwsSolutions and NIST 800-53 rev. 5 packs, plus the AwsSolutions EKS rules for aws-eks-v2 clusters
 * (test/support/nag-eks-v2.ts).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { AwsSolutionsEksV2Checks } from './nag-eks-v2';

/** Add every pack to an app; one synth then runs them all. */
export function addNagPacks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new AwsSolutionsEksV2Checks(app),
    new NIST80053R5Checks(app),
  );
}

/** One unacknowledged finding: the rule id (with its `[finding]`, if any) and the resource's construct path. */
export interface NagFinding {
  readonly id: string;
  readonly path: string;
}

/**
 * Synth an app (with the packs already added) and return its unacknowledged findings, sorted; none when
 * the synth passes. The validation report lists each resource as its path and type, then the id to
 * acknowledge (`<pack>::<rule id>`).
 */
export function nagFindings(app: App): NagFinding[] {
  try {
    app.synth();
    return [];
  } catch (e) {
    const report = String(e);
    const found = [...report.matchAll(/\n {3}(\S+) \S+\n {3}Acknowledge with '[^':]+::([^']+)'/g)].map((m) => ({
      id: m[2],
      path: m[1],
    }));
    if (found.length === 0) {
      throw e;
    }
    return found.sort((a, b) => a.id.localeCompare(b.id) || a.path.localeCompare(b.path));
  }
}
