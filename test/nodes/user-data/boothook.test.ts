/** The cloud-boothook renderer, with and without proxy credentials (lib/nodes/user-data/boothook.ts). */
import {
  boothookFor,
  PROXY_AUTH_PLACEHOLDER,
  renderBoothook,
  ENV_BEGIN,
  ENV_END,
  CREDENTIALS_BLOCK_DROP_IN,
  CREDENTIALS_MISSING_MARKER,
} from '../../../lib/nodes/user-data/boothook';
import { proxyEnvironment } from '../../../lib/proxy/render-environment';

const env = proxyEnvironment({
  httpProxy: 'http://proxy:3128',
  httpsProxy: 'http://proxy:3128',
  noProxy: ['localhost', '10.0.0.0/16'],
});

describe('renderBoothook', () => {
  const script = renderBoothook({
    environment: env,
    packageManagerProxy: 'http://proxy:3128',
    packageManagerConfig: '/etc/dnf/dnf.conf',
    units: ['containerd', 'kubelet', 'amazon-ssm-agent'],
    restartUnits: ['amazon-ssm-agent'],
  });

  test('is a bash script with strict mode', () => {
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain('set -euo pipefail');
  });

  test('never appends to a file', () => {
    expect(script).not.toMatch(/>>/);
  });

  test('writes a marked block to /etc/environment and a drop-in per unit', () => {
    expect(script).toContain(`${ENV_BEGIN}\nHTTP_PROXY=http://proxy:3128`);
    expect(script).toContain(ENV_END);
    expect(script).toContain('for unit in containerd kubelet amazon-ssm-agent; do');
    expect(script).toContain('replace_file "/etc/systemd/system/$unit.service.d/cdk-private-eks-proxy.conf" 0644');
    expect(script.match(/Environment="NO_PROXY=/g)).toHaveLength(1);
  });

  test('restarts only the units already running, without blocking boot', () => {
    expect(script).toContain('amazon-ssm-agent.service) systemctl try-restart --no-block "$unit" ;;');
    expect(script).not.toContain('kubelet.service) systemctl');
  });

  test('quotes every here-document so values are never expanded', () => {
    const heredocs = script.match(/<<\S+/g) ?? [];
    expect(heredocs.length).toBeGreaterThan(0);
    heredocs.forEach((h) => expect(h).toMatch(/^<<'[A-Z_]+'$/));
  });
});

/** The boothook of a proxy with credentials, optionally with a revision. */
function credentialedBoothook(revisionBase64?: string): string {
  return renderBoothook(
    boothookFor(
      {
        environment: env,
        httpsProxy: 'http://proxy:3128',
        noProxy: ['localhost'],
        credentials: {
          secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:p',
          usernameKey: 'username',
          passwordKey: 'password',
          revisionBase64,
        },
      },
      '/etc/dnf/dnf.conf',
      ['containerd'],
      [],
    ),
  );
}

describe('renderBoothook with proxy credentials', () => {
  const script: string = credentialedBoothook();

  test('reads the secret with IMDSv2 and the AWS CLI, and writes root-only files', () => {
    expect(script).toContain('X-aws-ec2-metadata-token-ttl-seconds: 300');
    // The ARN is a shell variable, single-quoted once (or decoded and checked, when it is a token).
    expect(script).toContain("secret_arn='arn:aws:secretsmanager:us-east-1:111122223333:secret:p'");
    expect(script).toContain('aws secretsmanager get-secret-value --region "$region" --secret-id "$secret_arn"');
    expect(script.match(/replace_file \S+ 0600/g)).toHaveLength(3);
    expect(script).not.toMatch(/replace_file \S+ 0644/);
  });

  test('never puts the credentials on a command line (readable by anyone in /proc)', () => {
    expect(script).not.toMatch(/sed[^\n]*\$auth/);
    expect(script).toContain('CDK_PRIVATE_EKS_AUTH="$1" awk');
    expect(script.match(/\| fill_auth "\$auth(_systemd)?"/g)).toHaveLength(3);
    expect(script).toContain(`http://${PROXY_AUTH_PLACEHOLDER}@proxy:3128`);
  });

  test('fails closed: every failed step calls block_join, which blocks kubelet for this boot only and says why', () => {
    const lines = script.split('\n');
    // IMDS token, region, the secret, and its JSON: each failure goes to block_join with its reason.
    expect(lines.filter((l) => /^\s+block_join "/.test(l)).map((l) => l.trim())).toEqual([
      'block_join "cannot get an IMDSv2 token to learn the region"',
      'block_join "cannot read the region from the instance metadata service"',
      'block_join "cannot read the proxy credentials from Secrets Manager ($secret_arn)"',
      'block_join "the proxy credentials secret is not a JSON object with the keys username and password"',
    ]);
    // The block lives under /run (gone at the next boot): a kubelet drop-in asserting the marker is absent.
    expect(CREDENTIALS_MISSING_MARKER).toMatch(/^\/run\//);
    expect(CREDENTIALS_BLOCK_DROP_IN).toMatch(/^\/run\/systemd\/system\/kubelet\.service\.d\/[\w-]+\.conf$/);
    expect(script).toContain(
      `printf '[Unit]\\nAssertPathExists=!%s\\n' ${CREDENTIALS_MISSING_MARKER} >${CREDENTIALS_BLOCK_DROP_IN}`,
    );
    expect(script).toContain('>/dev/console 2>/dev/null || true');
    // It stops the boothook before any file is written.
    const block = script.indexOf('block_join() {');
    expect(block).toBeGreaterThan(0);
    expect(script.indexOf('exit 1', block)).toBeLessThan(script.indexOf('# 1. /etc/environment'));
    // Python fails without printing (a traceback could quote the secret).
    expect(script).not.toContain('Traceback');
    expect(script).toContain('    sys.exit(1)');
    // A run that can read the secret lifts a block and reloads systemd.
    expect(script).toContain(`rm -f ${CREDENTIALS_BLOCK_DROP_IN} ${CREDENTIALS_MISSING_MARKER}`);
  });

  test('without credentials there is nothing to fail on: no block_join', () => {
    const plain = renderBoothook(
      boothookFor({ environment: env, httpsProxy: 'http://proxy:3128', noProxy: [] }, '/etc/dnf/dnf.conf', [], []),
    );
    expect(plain).not.toContain('block_join');
    expect(plain).not.toContain(CREDENTIALS_MISSING_MARKER);
  });
});

describe('the revision comment', () => {
  const render = credentialedBoothook;

  test('one comment line after the header, only when there is a revision', () => {
    const lines = render('MjAyNi0xMg==').split('\n');
    expect(lines[3]).toBe('# Proxy credentials revision (base64): MjAyNi0xMg==. A new revision replaces the nodes.');
    expect(lines[4]).toBe('set -euo pipefail');
    expect(render()).not.toContain('revision');
  });

  test('a value with a line break, which would end the comment, is refused', () => {
    expect(() => render('x\nreboot')).toThrow(/revision must be base64/);
    expect(() => render('x\rreboot')).toThrow(/revision must be base64/);
  });
});
