/**
 * fast-check arbitraries the property tests share.
 *
 * `binaryString(n)` is `fc.string({ unit: 'binary', maxLength: n })` (every Unicode scalar value, with the same
 * bias) without its cost: fast-check builds that unit with `mapToConstant` over the 1,112,064 scalar values, and
 * `fc.string` asks the unit, when the arbitrary is made, whether it could have produced a few "dangerous"
 * strings; answering builds a Map of every value back to its index, about a second of CPU in each test file
 * that makes one (measured with --cpu-prof: fast-check's `safeMapSet` was 977 of 2,300 ms in
 * hostile-node-inputs.test.ts outside its child processes). The unit here is the same `nat` mapped to the same
 * characters, with the inverse computed instead of looked up; arbitraries.test.ts shows both give the same
 * values for the same seed.
 */
import fc from 'fast-check';

/** The 2,048 UTF-16 surrogates (U+D800..U+DFFF), which are not scalar values and which fast-check skips. */
const SURROGATE_START = 0xd800;
const SURROGATES = 0x800;

/** Index (as fast-check's 'binary' unit numbers the scalar values) to character. */
function scalarValue(index: number): string {
  return String.fromCodePoint(index < SURROGATE_START ? index : index + SURROGATES);
}

/** Character to index; throws for anything that is not exactly one scalar value (fast-check then says "cannot"). */
function scalarIndex(value: unknown): number {
  const cp = typeof value === 'string' ? value.codePointAt(0) : undefined;
  if (
    cp === undefined ||
    String.fromCodePoint(cp) !== value ||
    (cp >= SURROGATE_START && cp < SURROGATE_START + SURROGATES)
  ) {
    throw new Error(`not one Unicode scalar value: ${JSON.stringify(value)}`);
  }
  return cp < SURROGATE_START ? cp : cp - SURROGATES;
}

/** One Unicode scalar value, as fast-check's 'binary' unit draws it. */
export const scalarValueUnit: fc.Arbitrary<string> = fc
  .nat({ max: 0x10ffff - SURROGATES })
  .map(scalarValue, scalarIndex);

/** Strings of up to `maxLength` Unicode scalar values: `fc.string({ unit: 'binary', maxLength })`, made cheaply. */
export function binaryString(maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: scalarValueUnit, maxLength });
}
