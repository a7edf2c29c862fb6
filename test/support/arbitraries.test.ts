/** The cheap 'binary' string arbitrary draws exactly what fast-check's own does (support/arbitraries.ts). */
import fc from 'fast-check';
import { binaryString, scalarValueUnit } from './arbitraries';

test("binaryString gives fast-check's own 'binary' strings, value for value, for the same seeds", () => {
  for (const seed of [1, 42, 20261204]) {
    const ours = fc.sample(binaryString(6), { seed, numRuns: 500 });
    const theirs = fc.sample(fc.string({ unit: 'binary', maxLength: 6 }), { seed, numRuns: 500 });
    expect(ours).toEqual(theirs);
  }
});

test('the unit reaches both ends of the scalar values and never a lone surrogate', () => {
  const chars = fc.sample(scalarValueUnit, { seed: 7, numRuns: 20_000 });
  const cps = chars.map((c) => c.codePointAt(0)!);
  expect(cps.some((c) => c < 0x20)).toBe(true);
  expect(cps.some((c) => c > 0xffff)).toBe(true);
  expect(cps.some((c) => c >= 0xe000 && c <= 0xffff)).toBe(true);
  expect(cps.filter((c) => c >= 0xd800 && c <= 0xdfff)).toEqual([]);
});

test('the unit can shrink what it could have drawn, and refuses what it could not', () => {
  expect(scalarValueUnit.canShrinkWithoutContext('a')).toBe(true);
  expect(scalarValueUnit.canShrinkWithoutContext('\u{10ffff}')).toBe(true);
  expect(scalarValueUnit.canShrinkWithoutContext('\ud800')).toBe(false);
  expect(scalarValueUnit.canShrinkWithoutContext('ab')).toBe(false);
  expect(scalarValueUnit.canShrinkWithoutContext('')).toBe(false);
  expect(scalarValueUnit.canShrinkWithoutContext(97)).toBe(false);
});
