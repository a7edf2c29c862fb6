/**
 * Kubernetes' label and taint grammars: the examples of the apimachinery validation, then generated
 * strings (fast-check): whatever is accepted holds only the characters that no shell, kubelet flag list or
 * YAML plain scalar reads as syntax, and bash reads a kubelet flag built from it back as one word, unchanged.
 */
import { spawnSync } from 'child_process';
import * as fc from 'fast-check';
import { labelKeyProblem, labelValueProblem, taintEffectProblem } from '../../lib/private/kubernetes-names';

describe('label keys', () => {
  test.each([
    'role',
    'node.kubernetes.io/instance-type',
    'example.com/tier',
    'a',
    'A_b.c-1',
    `${'a'.repeat(253 - 4)}.com/${'n'.repeat(63)}`,
  ])('%s is accepted', (key) => {
    expect(labelKeyProblem(key)).toBeUndefined();
  });

  test.each([
    ['', /empty name/],
    ['/name', /empty prefix/],
    ['a/b/c', /more than one '\/'/],
    ['Example.com/x', /lowercase DNS subdomain/],
    ['example.com/', /empty name/],
    ['-role', /starting and ending/],
    ['role-', /starting and ending/],
    ['ro le', /letters, digits/],
    ["it's", /letters, digits/],
    ['x'.repeat(64), /at most 63/],
    [`${'a'.repeat(254)}/x`, /at most 253/],
    ['role=x', /letters, digits/],
    ['a,b', /letters, digits/],
  ])('%j is refused', (key, why) => {
    expect(labelKeyProblem(key)).toMatch(why);
  });
});

describe('label values and taint effects', () => {
  test.each(['', 'a', 'worker', 'v1.2_3-x', 'x'.repeat(63)])('value %j is accepted', (v) => {
    expect(labelValueProblem(v)).toBeUndefined();
  });

  test.each(['-a', 'a-', 'a b', 'a=b', 'a,b', 'a:b', '$(id)', 'x'.repeat(64), 'ä'])('value %j is refused', (v) => {
    expect(labelValueProblem(v)).toBeDefined();
  });

  test.each(['NoSchedule', 'PreferNoSchedule', 'NoExecute'])('effect %s is accepted', (e) => {
    expect(taintEffectProblem(e)).toBeUndefined();
  });

  test.each(['noschedule', 'NoSchedule ', '', 'Evict'])('effect %j is refused', (e) => {
    expect(taintEffectProblem(e)).toMatch(/not one of NoSchedule, PreferNoSchedule, NoExecute/);
  });
});

describe('generated strings', () => {
  /** Hostile pieces mixed with the grammar's own alphabet, so that both sides of the check are hit often. */
  const piece = fc.oneof(
    fc.constantFrom(
      "'",
      '"',
      '`',
      '$(',
      ')',
      ';',
      '&',
      '|',
      '\n',
      '\r',
      '\0',
      '\t',
      ' ',
      ',',
      '=',
      ':',
      '\\',
      '%',
      '#',
      '{',
      '}',
      '*',
    ),
    fc.constantFrom('a', 'Z', '0', '-', '_', '.', '/', 'example.com/', 'role'),
    fc.string({ unit: 'grapheme', maxLength: 3 }),
  );
  const candidate = fc.array(piece, { maxLength: 12 }).map((p) => p.join(''));
  const SAFE = /^[A-Za-z0-9._/-]*$/;

  test('an accepted key or value holds only letters, digits, -, _, . and /', () => {
    fc.assert(
      fc.property(candidate, (s) => {
        if (labelKeyProblem(s) === undefined || labelValueProblem(s) === undefined) {
          expect(s).toMatch(SAFE);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('bash reads a kubelet flag built from accepted labels back as one unchanged word', () => {
    const accepted = fc.sample(
      fc
        .tuple(candidate, candidate)
        .filter(([k, v]) => labelKeyProblem(k) === undefined && labelValueProblem(v) === undefined),
      { numRuns: 100, seed: 11 },
    );
    expect(accepted.length).toBe(100);
    const flags = accepted.map(([k, v]) => `--node-labels=${k}=${v}`);
    // Unquoted, as a careless renderer would write it: still one word each, nothing expanded.
    const r = spawnSync('bash', ['-c', `printf '%s\\n' ${flags.join(' ')}`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(0, -1)).toEqual(flags);
  });
});
