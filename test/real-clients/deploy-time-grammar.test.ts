/**
 * The boot-time check and the synth-time check accept the same values: the bash functions the boothook
 * carries (renderShellGrammar) and the TypeScript checks (matchesProxyUrl, matchesNoProxyList), run over
 * the same generated inputs, in one bash process per grammar. Each input travels as octal escapes with its
 * length in bytes, which bash's `printf -v` decodes without a fork; as in the boothook's deploy_value, a
 * value bash cannot hold whole (a NUL byte) fails the length comparison. (The boothook's own base64 decoding
 * runs in boothook-deploy-time-sandbox.test.ts.)
 *
 * Cases per run: 2000 generated (fast-check, a new seed each run) + 23 fixed hostile ones, for each of the
 * three grammars: 6069 in all.
 */
import fc from 'fast-check';
import { binaryString } from '../support/arbitraries';
import {
  matchesGrammar,
  renderShellGrammar,
  SHELL_GRAMMAR_FUNCTION,
  ValueGrammar,
} from '../../lib/private/proxy-grammar';
import { requireTools, run } from './support/proc';

const GENERATED = 2000;

/** Fixed inputs every run: the hostile and odd classes the issue names. */
export const HOSTILE: string[] = [
  "http://proxy.example.com:3128'",
  "http://proxy.example.com:3128'; touch /tmp/pwned; echo '",
  'http://proxy.example.com:3128\ntouch /tmp/pwned',
  'http://proxy.example.com:3128\n',
  'http://$(touch /tmp/pwned):3128',
  'http://`touch /tmp/pwned`:3128',
  'http://proxy.example.com:3128;id',
  'http://proxy.example.com:3128%n',
  'http://prøxy.example.com:3128',
  'http://proxy.example.com:3128\0',
  `http://${'a'.repeat(3000)}:3128`,
  'http://user:pass@proxy.example.com:3128',
  'http://proxy.example.com:3128#frag',
  'http://[fd00::1]:3128',
  'http://[fe80::1%25eth0]:3128',
  // Names ending in a number, which WHATWG URL parsers read as IPv4 (refused on both sides).
  'http://proxy.1:3128',
  'http://proxy.0x1f:3128',
  'localhost,corp.0x,example.10',
  'localhost,10.0.0.0/16,.corp.example',
  'localhost,\n10.0.0.0/16',
  'localhost,$(id)',
  'localhost,',
  '',
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:proxy/creds-AbCdEf',
  "arn:aws:secretsmanager:us-east-1:123456789012:secret:proxy'$(id)",
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:proxy\n',
];

/** Pieces of proxy URLs and NO_PROXY lists, and the characters that break shells, units and YAML. */
const piece = fc.oneof(
  fc.constantFrom('http://', 'HTTPS://', 'socks5://', ':3128', ':0', ':65536', ':08', '/', ',', '.', '*.', '/16', '/7'),
  fc.constantFrom(
    'proxy.example.com',
    'example',
    '10.0.0.1',
    '300.1.1.1',
    '[fd00::1]',
    'fd00::',
    '::ffff:1.2.3.4',
    '0x1f',
    '0X',
  ),
  fc.constantFrom('arn:aws:secretsmanager:us-east-1:123456789012:secret:', 'arn:aws-cn:', 'p/q+r=s.t@u-v'),
  fc.constantFrom("'", '"', '`', '$(', ')', ';', '\n', '\r', '\0', ' ', '%', '\\', '#', '@', 'é', '\u2028', '-', '_'),
  binaryString(3),
);
const candidate = fc.array(piece, { maxLength: 10 }).map((p) => p.join(''));

function shellVerdicts(grammar: ValueGrammar, values: string[]): boolean[] {
  const script = [
    'set -u',
    ...renderShellGrammar(),
    'export LC_ALL=C',
    'while read -r bytes escaped; do',
    '  printf -v value \'%b\' "$escaped"',
    `  if [ "\${#value}" = "$bytes" ] && ${SHELL_GRAMMAR_FUNCTION[grammar]} "$value"; then echo 1; else echo 0; fi`,
    'done',
  ].join('\n');
  const octal = (b: Buffer) => [...b].map((x) => `\\0${x.toString(8).padStart(3, '0')}`).join('');
  const input =
    values
      .map((v) => Buffer.from(v, 'utf8'))
      .map((b) => `${b.length} ${octal(b)}`)
      .join('\n') + '\n';
  const r = run('bash', ['-c', script], { input, timeout: 120_000 });
  if (r.status !== 0) {
    throw new Error(`bash failed: ${r.stderr}`);
  }
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => l === '1');
}

beforeAll(() => requireTools('bash'));

describe.each<ValueGrammar>(['proxyUrl', 'noProxyList', 'secretArn'])('the %s grammar', (grammar) => {
  test(`bash and TypeScript agree on ${GENERATED} generated inputs and the hostile list`, () => {
    const values = [...HOSTILE, ...fc.sample(candidate, GENERATED)];
    const bash = shellVerdicts(grammar, values);
    expect(bash).toHaveLength(values.length);
    const disagreements = values
      .map((v, i) => ({ value: JSON.stringify(v), bash: bash[i], typescript: matchesGrammar(grammar, v) }))
      .filter((d) => d.bash !== d.typescript);
    expect(disagreements).toEqual([]);
    // The check can fail both ways: some inputs are accepted, most are not.
    expect(bash.filter(Boolean).length).toBeGreaterThan(0);
    expect(bash.filter((b) => !b).length).toBeGreaterThan(0);
  });
});

test('the hostile inputs: only the well-formed ones pass', () => {
  const accepted = HOSTILE.filter((v) =>
    (['proxyUrl', 'noProxyList', 'secretArn'] as const).some((g) => matchesGrammar(g, v)),
  );
  expect(accepted).toEqual([
    'http://[fd00::1]:3128',
    'localhost,10.0.0.0/16,.corp.example',
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:proxy/creds-AbCdEf',
  ]);
});
