/**
 * Generated hostile and odd strings for the EgressProxy props that reach squid.conf: `allowedDomains`,
 * `allowedCidrs` and `allowedPrivateDestinations`. Each value is refused by the proxy's own check (what
 * `EgressProxy` calls) with PrivateEksValidationError naming the element, or the squid.conf rendered from it
 * is read by the real Squid (`squid -k parse`: exit 0, no ERROR or FATAL line) and the value is one whole
 * word of the ACL it belongs to (it added no directive, option or other ACL value).
 *
 * Cases per run (new fast-check seed each run): 3 props x 80 values = 240; only accepted ones reach Squid.
 */
import { Construct } from 'constructs';
import fc from 'fast-check';
import { binaryString } from '../support/arbitraries';
import { checkCidrs, checkPrivateDestinations, composeDomains } from '../../lib/egress/egress-props';
import { normaliseDomain } from '../../lib/egress/allowlist';
import { renderSquidConfig } from '../../lib/egress/squid-config';
import { PrivateEksValidationError } from '../../lib/errors';
import { expectBothOutcomes, runOverFiles } from './support/hostile';
import { requireTools } from './support/proc';
import { testStack } from '../support/cdk';

const PER_PROP = 80;

const piece = fc.oneof(
  fc.constantFrom('registry.example.com', '.example.org', 'quay.io', '10.1.0.0', '/16', '/8', 'fd00::', '/64', '*'),
  fc.constantFrom("'", '"', '`', '$(id)', ';', '\n', '\r', '\0', '\t', ' ', '%', '\\', '#', ',', '=', '\x7f'),
  fc.constantFrom(' all', '\nhttp_access allow all', ' -i', 'é', '\u2028', 'a'.repeat(70), 'https://', ':443'),
  binaryString(4),
);

/** [prop, well-formed values, how the proxy checks a one-element list, the ACL the value lands in] */
const PROPS: Array<[string, fc.Arbitrary<string>, (scope: Construct, v: string) => string[], string]> = [
  [
    'allowedDomains',
    fc.oneof(
      fc.domain(),
      fc.domain().map((d) => `.${d}`),
    ),
    (scope, v) => composeDomains(scope, [v], false),
    'egress_domains',
  ],
  [
    'allowedCidrs',
    fc.tuple(fc.integer({ min: 10, max: 10 }), fc.integer({ min: 0, max: 255 })).map(([a, b]) => `${a}.${b}.0.0/16`),
    (scope, v) => checkCidrs(scope, [v]),
    'egress_clients',
  ],
  [
    'allowedPrivateDestinations',
    fc.oneof(
      fc.integer({ min: 0, max: 255 }).map((b) => `10.${b}.0.0/16`),
      fc.integer({ min: 0, max: 255 }).map((b) => `172.16.${b}.7`),
      fc.constantFrom('fd00:1::/64', 'fd12:3456::1'),
    ),
    (scope, v) => checkPrivateDestinations(scope, [v]),
    'egress_private_allowed',
  ],
];

/**
 * `squid -k parse` of every `*.conf` in the folder `$1`: prints `exit N FILE` for a configuration Squid refuses
 * and `FILE.out:LINE` for each ERROR or FATAL line it wrote; nothing when Squid reads them all cleanly.
 */
const SQUID_PARSE_ALL = [
  'shopt -s nullglob',
  'for f in "$1"/*.conf; do squid -k parse -f "$f" >"$f.out" 2>&1 || echo "exit $? $f"; done',
  'outs=("$1"/*.conf.out)',
  '[ "${#outs[@]}" = 0 ] || grep -H -E "\\b(ERROR|FATAL)\\b" "${outs[@]}"',
  'true',
].join('\n');

beforeAll(() => requireTools('squid', 'bash'));

describe.each(PROPS)('%s', (prop, wellFormed, check, acl) => {
  test(`${PER_PROP} generated values: refused naming ${prop}[0], or Squid parses the configuration and the value is one word of ${acl}`, () => {
    const scope = new Construct(testStack(), 'Egress');
    const values = fc.sample(
      fc.oneof(
        { arbitrary: fc.array(piece, { minLength: 1, maxLength: 5 }).map((p) => p.join('')), weight: 2 },
        { arbitrary: wellFormed, weight: 1 },
      ),
      PER_PROP,
    );
    const accepted: Array<{ value: string; conf: string }> = [];
    let refused = 0;
    for (const v of values) {
      let checked: string[];
      try {
        checked = check(scope, v);
      } catch (e) {
        expect(e).toBeInstanceOf(PrivateEksValidationError);
        expect((e as PrivateEksValidationError).prop).toMatch(new RegExp(`^${prop}(\\[0\\])?$`));
        refused++;
        continue;
      }
      const conf = renderSquidConfig({
        port: 3128,
        allowedCidrs: prop === 'allowedCidrs' ? checked : ['10.0.0.0/16'],
        allowedDomains: prop === 'allowedDomains' ? checked : ['.example.com'],
        allowedPrivateDestinations: prop === 'allowedPrivateDestinations' ? checked : [],
      });
      // The value is one whole word of its ACL, on an `acl NAME TYPE ...` line, and nowhere else.
      const expected = prop === 'allowedDomains' ? normaliseDomain(v) : v;
      const words = conf
        .split('\n')
        .filter((l) => l.startsWith(`acl ${acl} `))
        .flatMap((l) => l.split(' '));
      expect(words).toContain(expected);
      accepted.push({ value: v, conf });
    }
    // squid -k parse, one call per configuration, in one bash process; one grep over all their outputs.
    const output = runOverFiles(Object.fromEntries(accepted.map((a, i) => [`${i}.conf`, a.conf])), SQUID_PARSE_ALL);
    expect(output).toBe('');
    expectBothOutcomes(PER_PROP, refused, accepted.length);
  });
});

test('the parse check can fail: Squid refusing a configuration, or writing ERROR or FATAL, is reported by file', () => {
  const good = renderSquidConfig({
    port: 3128,
    allowedCidrs: ['10.0.0.0/16'],
    allowedDomains: ['.example.com'],
    allowedPrivateDestinations: [],
  });
  const output = runOverFiles(
    {
      '0.conf': good,
      '1.conf': good.replace('10.0.0.0/16', '10.0.0.0/99'),
      '2.conf': `${good}bogus_directive on\n`,
    },
    SQUID_PARSE_ALL,
  );
  const lines = output.trim().split('\n');
  expect(lines.filter((l) => l.startsWith('exit ')).map((l) => l.split('/').pop())).toEqual(['1.conf', '2.conf']);
  expect(lines.some((l) => /\/1\.conf\.out:.*FATAL/.test(l))).toBe(true);
  expect(output).not.toContain('0.conf');
});
