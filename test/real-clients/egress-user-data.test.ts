/**
 * EgressProxy's user data through the real tools: bash runs the here-documents (writing squid.conf and the
 * CloudWatch agent configuration), squid -k parse reads the squid.conf they write, shellcheck lints the
 * whole script.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { egressOnly, userDataText } from '../support/egress';
import { removeDir, requireTools, run, tempDir } from './support/proc';

describe('the user data, run through the real tools', () => {
  const { stack, proxy } = egressOnly(
    { allowedDomains: ['.docker.io', 'registry-1.docker.io', '.quay.io'] },
    'us-east-1',
  );
  const lt = Object.values(Template.fromStack(stack).findResources('AWS::EC2::LaunchTemplate'))[0] as any;
  const script = userDataText(stack, lt, { 'AWS::Region': 'us-east-1', 'AWS::URLSuffix': 'amazonaws.com' }).replace(
    /<(\w+)>/g,
    'Test-$1-0123456789',
  );
  let work: string;

  beforeAll(() => {
    requireTools('bash', 'squid', 'shellcheck');
    work = tempDir('egress-userdata');
  });
  afterAll(() => removeDir(work));

  test('bash writes exactly the rendered squid.conf from the here-document, and squid -k parse accepts it', () => {
    // Only the two here-documents, into a temporary directory instead of /etc and /opt.
    const start = script.indexOf('cat > /etc/squid/squid.conf');
    const end = script.indexOf('\nsystemctl enable --now squid');
    const heredocs = script
      .slice(start, end)
      .split('\n')
      .filter((l) => !/^(squid -k parse|install -d)/.test(l))
      .join('\n')
      .replace('/etc/squid/squid.conf', `${work}/squid.conf`)
      .replace('/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json', `${work}/agent.json`);
    const r = run('bash', ['-euo', 'pipefail', '-c', heredocs], { timeout: 30_000 });
    expect(r.stderr).toBe('');
    const written = fs.readFileSync(path.join(work, 'squid.conf'), 'utf8');
    expect(written).toBe(stack.resolve(proxy.squidConfig));
    expect(written).toContain('acl egress_domains dstdomain -n .docker.io .quay.io .s3.us-east-1.amazonaws.com');
    expect(written).not.toContain('registry-1.docker.io');
    const parse = run('squid', ['-k', 'parse', '-f', path.join(work, 'squid.conf')], { timeout: 30_000 });
    expect(parse.status).toBe(0);
    expect((parse.stdout + parse.stderr).split('\n').filter((l) => /\b(ERROR|FATAL)\b/.test(l))).toEqual([]);
    const agent = JSON.parse(fs.readFileSync(path.join(work, 'agent.json'), 'utf8'));
    expect(agent.logs.logs_collected.files.collect_list.map((f: any) => f.file_path)).toEqual([
      '/var/log/squid/access.log',
      '/var/log/squid/cache.log',
    ]);
  });

  test('shellcheck finds nothing in the script', () => {
    const file = path.join(work, 'user-data.sh');
    fs.writeFileSync(file, script);
    const r = run('shellcheck', ['--shell=bash', '--severity=style', file], { timeout: 60_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
