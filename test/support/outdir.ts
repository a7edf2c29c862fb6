/**
 * Where test apps write their cloud assemblies: a directory of the test file's own, removed after its tests
 * (test/support/remove-outdirs.ts, a jest setup file). An App without an outdir writes to a new
 * os.tmpdir()/cdk.outXXXXXX that nothing removes: about 500 a run, 2 GB on a developer's machine in a day.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

let parent: string | undefined;

/** A new, empty directory for one app's cloud assembly. */
export function newOutdir(): string {
  parent ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-private-eks-test-'));
  return fs.mkdtempSync(path.join(parent, 'cdk.out'));
}

/** Remove every directory newOutdir made for this test file. */
export function removeOutdirs(): void {
  if (parent) {
    fs.rmSync(parent, { recursive: true, force: true });
    parent = undefined;
  }
}
