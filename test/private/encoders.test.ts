/** The encoders, read back by their real parsers (bash, the yaml package, smol-toml). */
import { execFileSync } from 'child_process';
import fc from 'fast-check';
import { binaryString } from '../support/arbitraries';
import { parse as parseToml } from 'smol-toml';
import * as YAML from 'yaml';
import { shellQuote, systemdQuote, tomlKey, tomlString, yamlString } from '../../lib/private/encoders';

const hostile = binaryString(20).filter((s) => !s.includes('\0'));
const RUNS = 300;

test(`shellQuote: bash reads back ${RUNS} generated values as one word`, () => {
  const values = fc.sample(hostile, RUNS);
  const script = values.map((v) => `printf '%s\\0' ${shellQuote(v)}`).join('\n');
  const out = execFileSync('bash', ['-c', script]).toString('utf8');
  expect(out.split('\0').slice(0, -1)).toEqual(values.map((v) => Buffer.from(v, 'utf8').toString('utf8')));
});

test(`yamlString: one line of ASCII that the yaml parser reads back (${RUNS} generated values)`, () => {
  for (const v of fc.sample(hostile, RUNS)) {
    const text = `k: ${yamlString(v)}\n`;
    expect(text).toMatch(/^[\x20-\x7e]*\n$/);
    expect(YAML.parse(text).k).toBe(v);
  }
});

test(`tomlString and tomlKey: smol-toml reads back (${RUNS} generated values)`, () => {
  for (const v of fc.sample(
    hostile.filter((s) => s.length > 0 && Buffer.from(s, 'utf8').toString('utf8') === s),
    RUNS,
  )) {
    expect((parseToml(`${tomlKey(v)} = ${tomlString(v)}\n`) as any)[v]).toBe(v);
  }
});

test('systemdQuote doubles % and escapes quotes and backslashes', () => {
  expect(systemdQuote('a%b"c\\d')).toBe('a%%b\\"c\\\\d');
});
