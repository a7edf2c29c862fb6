/**
 * Check 3c: proxy credentials from Secrets Manager (examples/authenticated-proxy). The credentialed
 * boothook of the example's node group, as cloud-init writes it, runs twice as root in the sandbox of
 * boothook-sandbox.test.ts with:
 * - the stub IMDSv2, which answers PUT /latest/api/token and GET .../placement/region (the
 *   deployment's region) and records whether each GET carried a valid token;
 * - a recording stub `aws` first on PATH that answers exactly
 *   `secretsmanager get-secret-value --region <region> --secret-id <the secret's ARN, resolved from the
 *   template> --query SecretString --output text` with {"username":"svc-eks","password":"S3cr3t%Pa$$:word@"}
 *   and fails any other command line;
 * - the real python3, which does the URL-encoding.
 *
 * Then /etc/environment, dnf.conf and every drop-in must be root-only and carry
 * `svc-eks:S3cr3t%25Pa%24%24%3Aword%40` (written down by hand), with every `%` doubled in the drop-ins
 * and systemd itself reading them back to the exact URL; the second run changes nothing; no file keeps
 * the placeholder; the password shows in no output. With an `aws` that fails on the first boot, the
 * boothook must give up after its five attempts, write nothing to /etc, keep kubelet from starting with a
 * runtime drop-in under /run and say why on standard error and the console; on the second boot (an empty
 * /run again) with a readable secret it writes everything and leaves no block. Those runs use a copy whose
 * retry `sleep` is cut to `sleep 0` (support/sandbox.ts noRetryWaitCopy: one line changed, nothing else),
 * instead of waiting 3+6+9+12+15 = 45 s.
 *
 * And the synthesized cdk.out: no password, no encoded password, no dynamic reference to the secret;
 * the nodeadm NodeConfig part has neither credentials nor the placeholder.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  CREDENTIALS_BLOCK_DROP_IN,
  CREDENTIALS_MISSING_MARKER,
  PROXY_AUTH_PLACEHOLDER,
} from '../../lib/nodes/user-data/boothook';
import { groupBoothook, groupParts } from './support/cloudinit';
import { awsStubFor, expectedAwsArgv, SECRET_FORMS, testSecretString } from './support/credentials';
import {
  cleanupSynth,
  credentialsOf,
  deployments,
  manifests,
  nodeGroups,
  resourcesOfTypeIn,
  synthOutdir,
  TEST_PROXY_PASSWORD,
  TEST_PROXY_USERINFO,
  TEST_PROXY_USERNAME,
} from './support/examples';
import { NODECONFIG_CONTENT_TYPE, parseNodeConfig } from './support/nodeconfig';
import { requireCloudInit, requireRoot, requireTools } from './support/proc';
import {
  BOOTHOOK_PROFILES,
  environmentBlock,
  firstRunProblems,
  noRetryWaitCopy,
  runBoothookInSandbox,
  SandboxResult,
  secondRunProblems,
  withUserinfo,
} from './support/sandbox';
import { strictDropInCheck } from './support/systemd';

beforeAll(() => {
  requireRoot();
  requireTools('unshare', 'ip', 'mount', 'systemd-analyze', 'curl');
  requireCloudInit();
});
afterAll(() => cleanupSynth());

const credentialed = deployments((e) => e.credentials !== undefined);

test('the authenticated-proxy example is covered', () => {
  expect(credentialed.map((d) => d.label)).toEqual(['authenticated-proxy @ us-east-1']);
});

const d = credentialed[0];
const profile = BOOTHOOK_PROFILES.AL2023;
const [group] = nodeGroups(d);
const proxyUrl = 'http://proxy.corp.example:3128';
const credentialedUrl = `http://${TEST_PROXY_USERINFO}@proxy.corp.example:3128`;

describe(`${d.label} / ${group.spec.id}: the credentialed boothook, run twice`, () => {
  let script: string;
  let result: SandboxResult;
  let configMap: Record<string, string>;
  let expected: Record<string, string>;

  beforeAll(() => {
    script = groupBoothook(group)!;
    configMap = manifests(d).find((m) => m.kind === 'ConfigMap').data;
    expected = withUserinfo(configMap, TEST_PROXY_USERINFO);
    result = runBoothookInSandbox(script, 2, profile.units, profile, { region: d.region, aws: awsStubFor(d) });
  });

  test("the test values: the secret ARN is resolved from the template, the secret is the brief's JSON", () => {
    const c = credentialsOf(d)!;
    expect(c.secretArn).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:ProxyCredentials[0-9A-F]{8}-[A-Za-z0-9]+-[A-Za-z0-9]{6}$/,
    );
    // The ARN is AWS-produced (a Ref to the stack's secret): single-quoted once into a variable.
    expect(script).toContain(`secret_arn='${c.secretArn}'`);
    expect(script).toContain('--secret-id "$secret_arn"');
    expect(testSecretString(d)).toBe('{"username":"svc-eks","password":"S3cr3t%Pa$$:word@"}');
    // The ConfigMap (pods) and the template carry the proxy without credentials.
    expect(configMap.HTTPS_PROXY).toBe(proxyUrl);
    expect(expected.HTTPS_PROXY).toBe(credentialedUrl);
  });

  test.each([1, 2])(
    'run %i: IMDSv2 token, then the region with the token; one aws call with exactly the expected command line',
    (n) => {
      const r = result.runs[n];
      expect(r.rc).toBe(0);
      expect(r.imds.map((q) => [q.method, q.path, q.method === 'PUT' ? q.ok : q.tokenValid])).toEqual([
        ['PUT', '/latest/api/token', true],
        ['GET', '/latest/meta-data/placement/region', true],
      ]);
      expect(r.aws).toEqual([{ argv: expectedAwsArgv(d), matched: true, env: {} }]);
    },
  );

  test('first run: every file as boothook-sandbox.test.ts checks it, root-only (0600)', () => {
    expect(firstRunProblems(result, expected, expected.HTTPS_PROXY, profile, { mode: '600' })).toEqual([]);
    const written = Object.keys(result.runs[1].files).filter(
      (p) => p === 'environment' || p === 'dnf/dnf.conf' || p.endsWith('/cdk-private-eks-proxy.conf'),
    );
    expect(written.sort()).toEqual(
      [
        'dnf/dnf.conf',
        'environment',
        ...profile.units.map((u) => `systemd/system/${u}.service.d/cdk-private-eks-proxy.conf`),
      ].sort(),
    );
    for (const p of written) {
      expect({ p, mode: result.runs[1].stat[p].mode, uid: result.runs[1].stat[p].uid }).toEqual({
        p,
        mode: '600',
        uid: '0',
      });
    }
  });

  test("/etc/environment and dnf.conf carry the URL-encoded credentials (python3's encoding, checked against the hand-written form)", () => {
    const files = result.runs[1].files;
    const block = environmentBlock(files.environment);
    for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) {
      expect({ [k]: block[k] }).toEqual({ [k]: credentialedUrl });
    }
    expect(block.NO_PROXY).toBe(configMap.NO_PROXY);
    expect(files['dnf/dnf.conf'].split('\n').filter((l) => l.startsWith('proxy='))).toEqual([
      `proxy=${credentialedUrl}`,
    ]);
    // A URL parser gives back the secret's user name and password.
    const u = new URL(block.HTTPS_PROXY);
    expect([decodeURIComponent(u.username), decodeURIComponent(u.password)]).toEqual([
      TEST_PROXY_USERNAME,
      TEST_PROXY_PASSWORD,
    ]);
  });

  test.each(profile.units)(
    '%s drop-in: every %% doubled; systemd-analyze verify reads back the exact URL with single %%',
    (unit) => {
      const [file] = Object.entries(result.runs[1].files)
        .filter(([p]) => p.startsWith(`systemd/system/${unit}.service.d/`))
        .map(([, c]) => c);
      const doubled = TEST_PROXY_USERINFO.replace(/%/g, '%%');
      expect(file).toContain(`Environment="HTTPS_PROXY=http://${doubled}@proxy.corp.example:3128"`);
      expect(file.replace(/%%/g, '')).not.toContain('%');
      expect(strictDropInCheck(file)).toEqual({ problems: [], environment: expected });
      const parsed = result.systemd[unit];
      expect(parsed.complaints).toEqual([]);
      expect(parsed.rc).toBe(0);
      expect(parsed.environment.HTTPS_PROXY).toBe(credentialedUrl);
      expect(parsed.environment).toEqual(expected);
    },
  );

  test('second run: byte-identical files, nothing rewritten, no daemon-reload', () => {
    expect(secondRunProblems(result)).toEqual([]);
    expect(result.runs[2].calls).toEqual([]);
  });

  test('no file keeps the placeholder; the script has it (so the check means something)', () => {
    expect(script).toContain(PROXY_AUTH_PLACEHOLDER);
    for (const n of [1, 2]) {
      for (const [p, content] of Object.entries(result.runs[n].files)) {
        expect({ run: n, p, placeholder: content.includes(PROXY_AUTH_PLACEHOLDER) }).toEqual({
          run: n,
          p,
          placeholder: false,
        });
      }
    }
  });

  test('the boothook prints neither the password nor its encoded forms, and leaves no temporary file', () => {
    for (const n of [1, 2]) {
      const r = result.runs[n];
      for (const secret of [...SECRET_FORMS, testSecretString(d)]) {
        expect({ run: n, secret, stdout: r.stdout.includes(secret), stderr: r.stderr.includes(secret) }).toEqual({
          run: n,
          secret,
          stdout: false,
          stderr: false,
        });
      }
      expect(r.tmpLeft).toEqual([]);
    }
  });
});

describe(`${d.label} / ${group.spec.id}: Secrets Manager unreachable, then readable on the next boot`, () => {
  let script: string;
  let copy: string;
  let result: SandboxResult;

  beforeAll(() => {
    script = groupBoothook(group)!;
    copy = noRetryWaitCopy(script);
    // Boot 1: every aws call fails. Boot 2 (a reboot: /run empty again, /etc kept): the secret is readable.
    result = runBoothookInSandbox(copy, 2, [], profile, {
      region: d.region,
      aws: { ...awsStubFor(d), failInRuns: [1] },
    });
  });

  test('the copy differs from the boothook in the retry sleep only', () => {
    const a = script.split('\n');
    const b = copy.split('\n');
    expect(b).toHaveLength(a.length);
    expect(a.map((l, i) => [l, b[i]]).filter(([x, y]) => x !== y)).toEqual([['  sleep $((attempt * 3))', '  sleep 0']]);
  });

  test('boot 1: five attempts, then exit non-zero with the reason on standard error and on the console', () => {
    const r = result.runs[1];
    expect(r.aws.map((c) => c.argv)).toEqual(Array(5).fill(expectedAwsArgv(d)));
    expect(r.rc).toBe(1);
    const reason = `cdk-private-eks: cannot read the proxy credentials from Secrets Manager (${credentialsOf(d)!.secretArn}); no proxy settings were written and kubelet is kept from starting, so the node does not join (a reboot tries again)`;
    // Standard error: the AWS CLI's own error of each attempt, then the reason.
    expect(r.stderr.endsWith(`${reason}\n`)).toBe(true);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('cdk-private-eks'))).toEqual([reason]);
    expect(r.console).toBe(`${reason}\n`);
  });

  test('boot 1: kubelet is blocked for this boot only (a drop-in under /run asserting the marker is absent); the marker has the reason', () => {
    const r = result.runs[1];
    expect(r.runFiles).toEqual({
      [CREDENTIALS_MISSING_MARKER.replace('/run/', '')]:
        `cannot read the proxy credentials from Secrets Manager (${credentialsOf(d)!.secretArn})\n`,
      [CREDENTIALS_BLOCK_DROP_IN.replace('/run/', '')]: `[Unit]\nAssertPathExists=!${CREDENTIALS_MISSING_MARKER}\n`,
    });
    // systemd reloads to see the drop-in; nothing else is started, stopped or restarted.
    expect(r.calls).toEqual(['systemctl daemon-reload']);
  });

  test('boot 1: nothing is written to /etc: as seeded, no credentials or placeholder anywhere', () => {
    const [seed, r] = result.runs;
    expect(Object.keys(r.stat).sort()).toEqual(Object.keys(seed.stat).sort());
    expect(r.files).toEqual(seed.files);
    for (const content of Object.values(r.files)) {
      expect(content).not.toContain(TEST_PROXY_USERNAME);
      expect(content).not.toContain(PROXY_AUTH_PLACEHOLDER);
    }
    expect(r.tmpLeft).toEqual([]);
  });

  test('boot 2 recovers: the secret is read once, every file as on a clean first boot, no block left, nothing on the console', () => {
    const r = result.runs[2];
    expect(r.rc).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.console).toBe('');
    expect(r.aws.map((c) => [c.argv, c.matched])).toEqual([[expectedAwsArgv(d), true]]);
    expect(r.runFiles).toEqual({});
    const expected = withUserinfo(manifests(d).find((m) => m.kind === 'ConfigMap').data, TEST_PROXY_USERINFO);
    expect(environmentBlock(r.files.environment)).toEqual(expected);
    expect(r.calls).toContain('systemctl daemon-reload');
  });

  test('no run prints the password or its encoded forms', () => {
    for (const n of [1, 2]) {
      const r = result.runs[n];
      for (const secret of [...SECRET_FORMS, testSecretString(d)]) {
        expect({ run: n, secret, out: [r.stdout, r.stderr, r.console].some((t) => t.includes(secret)) }).toEqual({
          run: n,
          secret,
          out: false,
        });
      }
    }
  });
});

describe(`${d.label}: the synthesized output`, () => {
  test('cdk.out holds no password, no encoded password, no dynamic reference to the secret', () => {
    const outdir = synthOutdir();
    const files = fs
      .readdirSync(outdir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
    expect(files.some((f) => f.endsWith(`${d.example.stackId}.template.json`))).toBe(true);
    const found: string[] = [];
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      for (const secret of [...SECRET_FORMS, TEST_PROXY_USERINFO]) {
        if (text.includes(secret)) {
          found.push(`${path.relative(outdir, f)}: ${secret}`);
        }
      }
      if (f.endsWith(`${d.example.stackId}.template.json`) && /\{\{resolve:secretsmanager:/.test(text)) {
        found.push(`${path.relative(outdir, f)}: a {{resolve:secretsmanager:...}} dynamic reference`);
      }
    }
    expect(found).toEqual([]);
  });

  test("the launch template's NodeConfig part: the proxy without credentials, no placeholder (nodeadm gets no credentials)", () => {
    const part = groupParts(group).find((p) => p.contentType === NODECONFIG_CONTENT_TYPE)!;
    expect(part).toBeDefined();
    for (const secret of [...SECRET_FORMS, TEST_PROXY_USERNAME, PROXY_AUTH_PLACEHOLDER]) {
      expect({ secret, inNodeConfig: part.payload.includes(secret) }).toEqual({ secret, inNodeConfig: false });
    }
    const env = parseNodeConfig(part.payload)[0].spec.instance.environment.default;
    expect([env.HTTP_PROXY, env.HTTPS_PROXY]).toEqual([proxyUrl, proxyUrl]);
    // The boothook part of the same user data is where the placeholder lives.
    expect(groupBoothook(group)).toContain(PROXY_AUTH_PLACEHOLDER);
  });

  test('the node role may read exactly that secret (GetSecretValue on its ARN)', () => {
    const c = credentialsOf(d)!;
    const nodegroup = d.template.Resources[group.owner.logicalId];
    const roleId = nodegroup.Properties.NodeRole['Fn::GetAtt'][0];
    const statements = resourcesOfTypeIn(d, 'AWS::IAM::Policy')
      .filter((p) => (p.Roles ?? []).includes(d.resolver.resolveString({ Ref: roleId })))
      .flatMap((p) => p.PolicyDocument.Statement);
    const reads = statements.filter(
      (s: any) => s.Effect === 'Allow' && [s.Action].flat().includes('secretsmanager:GetSecretValue'),
    );
    expect(reads.map((s: any) => [s.Resource].flat())).toEqual([[c.secretArn]]);
  });
});
