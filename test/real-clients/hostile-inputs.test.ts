/**
 * Generated hostile and odd strings (quotes, newlines, `$()`, backticks, `%`, NUL and control characters,
 * unicode, very long values, IPv6 literals, userinfo, fragments) for the string props of the proxy, as
 * concrete values and as CloudFormation parameters:
 *
 * - concrete: `ProxySettings.fromUrl(url)`, `fromHost(host, port)`, `noProxy[0]`, `httpsProxy`, and
 *   `EndpointService.interfaceService(name)`, whose host names go into NO_PROXY. Each value is
 *   refused with PrivateEksValidationError naming the prop, or every artefact rendered from it is read by its
 *   real consumer: the boothook by `bash -n`, the NodeConfig by the `yaml` parser, Bottlerocket's settings by
 *   smol-toml, the systemd drop-in by the strict check (support/systemd.ts, confirmed against systemd itself in
 *   boothook-sandbox.test.ts), and each gives back exactly the value.
 * - parameters (support/parameter-app.ts, seed 001's shape): the template is resolved with each value as the
 *   proxy host or the NO_PROXY parameter. The resolved user data differs from the good value's only inside
 *   the base64 word of the boothook (an alphabet that cannot end a quote) and in nothing else a parser reads:
 *   no value reaches script text. What the boot-time check does with those words runs in
 *   deploy-time-grammar.test.ts (every class, 6069 cases) and, as root in the sandbox, in
 *   deploy-time-sandbox.test.ts (12 hostile values: no payload runs, the node fails closed).
 *
 * Cases per run (new fast-check seed each run): 5 x 250 concrete + 2 x 250 parameter values = 1750.
 */
import fc from 'fast-check';
import { binaryString } from '../support/arbitraries';
import { parse as parseToml } from 'smol-toml';
import * as YAML from 'yaml';
import { PrivateEksValidationError } from '../../lib/errors';
import { AL2023 } from '../../lib/nodes/user-data/al2023';
import { BOTTLEROCKET } from '../../lib/nodes/user-data/bottlerocket';
import { NodeProxy } from '../../lib/nodes/user-data/family';
import { renderSystemdDropIn } from '../../lib/proxy/render-environment';
import { EndpointService, ProxySettings } from '../../lib';
import { resourcesOfType } from './support/intrinsics';
import { GOOD, parameterTemplates, resolverFor } from './support/parameter-app';
import { expectBothOutcomes, runOverFiles } from './support/hostile';
import { requireTools } from './support/proc';
import { strictDropInCheck } from './support/systemd';

const PER_PROP = 250;

/** Pieces of hosts and URLs, and the characters that break shells, units, YAML and TOML. */
const piece = fc.oneof(
  fc.constantFrom(
    'http://',
    'https://',
    'HTTP://',
    'socks5://',
    'user:pw@',
    ':3128',
    ':0',
    ':99999',
    '/',
    '/path',
    '#frag',
    '?q',
  ),
  fc.constantFrom(
    'proxy.corp.example',
    'p',
    '10.0.0.1',
    '[fd00::1]',
    'fd00::1',
    '[fe80::1%eth0]',
    '.corp.example',
    '*',
  ),
  fc.constantFrom(
    "'",
    '"',
    '`',
    '$(id)',
    ';',
    '\n',
    '\r',
    '\0',
    '\t',
    ' ',
    '%',
    '%n',
    '\\',
    '#',
    '@',
    ',',
    '=',
    '\x7f',
  ),
  fc.constantFrom('é', '\u2028', '😀', 'a'.repeat(300), '/8', '/129'),
  binaryString(4),
);
/** Well-formed values too, so that every prop also has accepted values whose artefacts are parsed. */
const host = fc.oneof(
  fc.domain(),
  fc.ipV4(),
  fc.ipV6().map((a) => `[${a}]`),
);
const wellFormed = fc.oneof(
  fc
    .tuple(fc.constantFrom('http://', 'https://'), host, fc.integer({ min: 1, max: 65535 }))
    .map(([s, h, p]) => `${s}${h}:${p}`),
  host,
);
const hostile = fc.oneof(
  { arbitrary: fc.array(piece, { minLength: 1, maxLength: 8 }).map((p) => p.join('')), weight: 3 },
  { arbitrary: wellFormed, weight: 1 },
);

/** The concrete entry points, each with the prop its error must name. */
const PROPS: Array<[string, (v: string) => ProxySettings, RegExp]> = [
  ['fromUrl(url)', (v) => ProxySettings.fromUrl(v), /^httpProxy$/],
  [
    'fromUrl(url, { httpsProxy })',
    (v) => ProxySettings.fromUrl('http://p.example:3128', { httpsProxy: v }),
    /^httpsProxy$/,
  ],
  ['fromHost(host, 3128)', (v) => ProxySettings.fromHost(v, 3128), /^host$/],
  ['noProxy[0]', (v) => ProxySettings.fromUrl('http://p.example:3128', { noProxy: [v] }), /^noProxy\[0\]$/],
  [
    // A custom endpoint service's host names go into NO_PROXY (EndpointSet.noProxyHosts).
    'EndpointService.interfaceService(name)',
    (v) =>
      ProxySettings.fromUrl('http://p.example:3128', {
        noProxy: EndpointService.interfaceService(v).hostNames('us-east-1', 'amazonaws.com'),
      }),
    /^name$/,
  ],
];

function nodeProxyOf(settings: ProxySettings): NodeProxy {
  const noProxy = ['localhost', '10.0.0.0/16', ...settings.noProxy];
  return {
    environment: settings.environment(noProxy),
    httpsProxy: settings.httpsProxy,
    httpsProxyHostPort: settings.httpsProxyHostPort,
    noProxy,
  };
}

beforeAll(() => requireTools('bash'));

describe.each(PROPS)('concrete %s', (_name, make, prop) => {
  test(`${PER_PROP} generated values: refused naming the prop, or every artefact parses and gives the value back`, () => {
    const values = fc.sample(hostile, PER_PROP);
    const accepted: Array<{ value: string; proxy: NodeProxy; boothook: string }> = [];
    let refused = 0;
    for (const value of values) {
      let settings: ProxySettings;
      try {
        settings = make(value);
      } catch (e) {
        expect(e).toBeInstanceOf(PrivateEksValidationError);
        expect((e as PrivateEksValidationError).prop).toMatch(prop);
        refused++;
        continue;
      }
      const proxy = nodeProxyOf(settings);
      const al2023 = AL2023.render({ proxy });
      if (al2023.kind !== 'mime') {
        throw new Error('AL2023 renders MIME parts');
      }
      const [hook, nodeConfig] = al2023.parts;
      // YAML: nodeadm reads exactly the environment.
      expect(YAML.parse(nodeConfig.body).spec.instance.environment.default).toEqual({
        HTTP_PROXY: proxy.environment.HTTP_PROXY,
        HTTPS_PROXY: proxy.environment.HTTPS_PROXY,
        NO_PROXY: proxy.environment.NO_PROXY,
      });
      // systemd: every value comes back from the drop-in.
      expect(strictDropInCheck(renderSystemdDropIn(proxy.environment))).toEqual({
        problems: [],
        environment: proxy.environment,
      });
      // TOML: Bottlerocket reads the host:port and the list (or the family refuses the input with our error).
      const problem = BOTTLEROCKET.inputProblem({ proxy });
      if (problem === undefined) {
        const rendered = BOTTLEROCKET.render({ proxy });
        const toml = parseToml(rendered.kind === 'raw' ? rendered.body : '') as any;
        expect(toml.settings.network['https-proxy']).toBe(proxy.httpsProxyHostPort);
        expect(toml.settings.network['no-proxy']).toEqual(proxy.noProxy);
      }
      accepted.push({ value, proxy, boothook: hook.body });
    }
    // bash: every boothook parses (one bash process for all of them).
    const output = runOverFiles(
      Object.fromEntries(accepted.map((a, i) => [`${i}.sh`, a.boothook])),
      'shopt -s nullglob; for f in "$1"/*.sh; do bash -n "$f" || echo "bad $f"; done',
    );
    expect(output).toBe('');
    expectBothOutcomes(PER_PROP, refused, accepted.length);
  });
});

describe('parameters (seed 001 shape)', () => {
  let templates: { parameters: any };
  /** The parameter template's launch template user data, resolved for the values. */
  const userData = (values: Record<string, string>): string => {
    const [, lt] = resourcesOfType(templates.parameters, 'AWS::EC2::LaunchTemplate')[0];
    const raw = resolverFor(templates.parameters, 'Parameters', values).resolveString(
      lt.Properties.LaunchTemplateData.UserData,
    );
    return Buffer.from(raw, 'base64').toString('utf8');
  };
  /** The user data with the base64 words of the deploy-time values blanked. */
  const skeleton = (text: string) => text.replace(/(deploy_value \S+ '[^']*' \S+ ')[A-Za-z0-9+/=]*'/g, "$1<base64>'");

  beforeAll(() => {
    templates = parameterTemplates();
  });

  test.each(['ProxyHost', 'NoProxy'])(
    `${PER_PROP} generated values of %s reach the user data only as base64`,
    (param) => {
      const good = userData({});
      expect(good).toContain(
        `deploy_value HTTP_PROXY 'proxy.httpProxy' is_proxy_url '${Buffer.from(`http://${GOOD.host}:${GOOD.port}`).toString('base64')}'`,
      );
      for (const value of fc.sample(hostile, PER_PROP)) {
        const text = userData({ [param]: value });
        expect(skeleton(text)).toBe(skeleton(good));
      }
    },
  );
});
