/** S3 bucket names (lib/private/aws-names.ts), as the S3 user guide's naming rules have them. */
import * as fc from 'fast-check';
import { s3BucketNameProblem } from '../../lib/private/aws-names';

test.each(['abc', 'my-artifacts', 'my.bucket.v2', 'a'.repeat(63), 'my-logs-*', 'abc*', '123bucket'])(
  '%s is accepted',
  (name) => {
    expect(s3BucketNameProblem(name)).toBeUndefined();
  },
);

test.each([
  ['*', /wildcard without a bucket-name prefix/],
  ['a*', /wildcard without a bucket-name prefix/],
  ['ab', /not an S3 bucket name/],
  ['a'.repeat(64), /not an S3 bucket name/],
  ['My_Bucket', /not an S3 bucket name/],
  ['bucket-', /not an S3 bucket name/],
  ['my..bucket', /not an S3 bucket name/],
  ['a*b*', /wildcard without/],
  ['192.168.1.1', /IP address/],
  ["it's", /not an S3 bucket name/],
  [undefined, /missing/],
])('%j is refused: %s', (name, why) => {
  expect(s3BucketNameProblem(name)).toMatch(why);
});

test('generated strings: an accepted name holds only lowercase letters, digits, dots, hyphens and a final *', () => {
  const piece = fc.oneof(
    fc.constantFrom('a', 'z', '0', '.', '-', '*', 'A', '_', '/', ' ', '"', ':', '$', '\n'),
    fc.string({ unit: 'grapheme', maxLength: 2 }),
  );
  fc.assert(
    fc.property(
      fc.array(piece, { maxLength: 20 }).map((p) => p.join('')),
      (name) => {
        if (s3BucketNameProblem(name) === undefined) {
          expect(name).toMatch(/^[a-z0-9][a-z0-9.-]*[a-z0-9*]$/);
        }
      },
    ),
    { numRuns: 2000 },
  );
});
