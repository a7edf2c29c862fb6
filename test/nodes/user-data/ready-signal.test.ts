/** The ready-signal renderer (lib/nodes/user-data/ready-signal.ts): what the program asks, and with what. */
import { AL2, AL2_KUBELET_TOKEN } from '../../../lib/nodes/user-data/al2';
import { AL2023, AL2023_KUBELET_TOKEN } from '../../../lib/nodes/user-data/al2023';
import { CREDENTIALS_MISSING_MARKER } from '../../../lib/nodes/user-data/boothook';
import {
  renderReadySignal,
  renderReadySignalProgram,
  signalInputProblem,
  SIGNAL_UNIT,
} from '../../../lib/nodes/user-data/ready-signal';
import { cluster, signal } from '../../support/al2-inputs';

const target = { cluster, tokenCommand: AL2023_KUBELET_TOKEN, after: ['nodeadm-run.service', 'kubelet.service'] };
const program = renderReadySignalProgram(signal, target);
const lines = program.split('\n');

describe('renderReadySignalProgram', () => {
  test('the data: every value single-quoted on its own line (token markers pass through), durations as given', () => {
    expect(lines).toEqual(
      expect.arrayContaining([
        "stack='Test'",
        "resource='WorkersAsg1234'",
        "region='us-east-1'",
        "endpoint='${Token[TOKEN.102]}'",
        'timeout_s=660',
        'unreachable_s=180',
        'poll_s=10',
        `blocked=${CREDENTIALS_MISSING_MARKER}`,
      ]),
    );
  });

  test("the token comes from kubelet's own credential command, per family, bounded by a timeout", () => {
    expect(program).toContain(
      `tok="$(timeout 30 'aws' 'eks' 'get-token' '--cluster-name' '\${Token[TOKEN.101]}' '--region' 'us-east-1' 2>/dev/null | field status token)"`,
    );
    const al2 = renderReadySignalProgram(signal, { ...target, tokenCommand: AL2_KUBELET_TOKEN });
    expect(al2).toContain(
      `timeout 30 '/usr/bin/aws-iam-authenticator' 'token' '-i' '\${Token[TOKEN.101]}' '--region' 'us-east-1' 2>/dev/null`,
    );
  });

  test('the token never reaches a command line: curl reads its header from standard input', () => {
    const uses = lines.filter((l) => l.includes('$tok'));
    expect(uses).toEqual([`  printf 'header = "Authorization: Bearer %s"\\n' "$tok" |`, '  if [ -z "$tok" ]; then']);
    expect(program).toContain('curl -sS --config - ');
  });

  test('it learns its name with a SelfSubjectReview, then reads its own Node and succeeds only on Ready=True', () => {
    expect(program).toContain(
      `api POST /apis/authentication.k8s.io/v1/selfsubjectreviews '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}'`,
    );
    expect(program).toContain('201:system:node:?*) name="${user#system:node:}" ;;');
    expect(program).toContain('api GET "/api/v1/nodes/$name"');
    expect(program).toContain('if [ "$ready" = True ]; then');
    expect(lines.filter((l) => l.includes('finish 0'))).toEqual(['          finish 0 "node $name is Ready"']);
  });

  test('it fails at once on the credentials marker, and after unreachable_s of an unreachable proxy or API server', () => {
    expect(program).toContain('if [ -f "$blocked" ]; then');
    expect(program).toContain('timeout 5 bash -c \'exec 3<>"/dev/tcp/$1/$2"\' _ "$proxy_host" "$proxy_port"');
    expect(lines.filter((l) => l.includes('-ge "$unreachable_s"'))).toHaveLength(2);
    expect(program).toContain('finish 1 "not Ready after ${timeout_s}s: $state"');
  });

  test('every network call has its own timeout', () => {
    expect(program).toContain(
      'curl -sS --config - --connect-timeout 5 --max-time 15 --cacert /etc/kubernetes/pki/ca.crt',
    );
    expect(program).toContain("curl --silent --fail --max-time 5 --noproxy '*' http://localhost:10248/healthz");
    expect(program).toContain('timeout 120 /opt/aws/bin/cfn-signal --exit-code "$1"');
    // No curl or cfn-signal call without one.
    const calls = lines.filter(
      (l) => !l.trimStart().startsWith('#') && /(^|\s)(curl|\/opt\/aws\/bin\/cfn-signal) /.test(l),
    );
    expect(calls.length).toBe(3);
    calls.forEach((l) => expect(l).toMatch(/--max-time \d+|timeout \d+ /));
  });

  test('the reason goes to the journal (standard output) and the console', () => {
    expect(program).toContain(`printf 'cdk-private-eks ready signal: %s\\n' "$1" >/dev/console 2>/dev/null || true`);
  });
});

describe('renderReadySignal', () => {
  const part = renderReadySignal(signal, target);

  test('installs the program and a oneshot unit after the units that start kubelet, then starts it without blocking', () => {
    expect(part.contentType).toBe('text/x-shellscript; charset="us-ascii"');
    expect(part.body).toContain(
      `cat >/usr/local/bin/${SIGNAL_UNIT} <<'CDK_PRIVATE_EKS_SIGNAL'\n${program.trimEnd()}\nCDK_PRIVATE_EKS_SIGNAL\n`,
    );
    expect(part.body).toContain('After=nodeadm-run.service kubelet.service\n');
    expect(part.body).toContain('Type=oneshot\n');
    expect(part.body.endsWith(`systemctl start --no-block ${SIGNAL_UNIT}.service\n`)).toBe(true);
  });

  test('the families pick their own token command and units', () => {
    const al2023 = AL2023.render({ cluster, signal });
    const al2 = AL2.render({ cluster, signal });
    const last = (r: ReturnType<typeof AL2.render>) => (r.kind === 'mime' ? r.parts[r.parts.length - 1].body : '');
    expect(last(al2023)).toContain("'aws' 'eks' 'get-token'");
    expect(last(al2023)).toContain('After=nodeadm-run.service kubelet.service\n');
    expect(last(al2)).toContain("'/usr/bin/aws-iam-authenticator' 'token'");
    expect(last(al2)).toContain('After=kubelet.service\n');
  });

  test('a signal without cluster details is an input problem naming signal (it has no API server to ask)', () => {
    expect(signalInputProblem({ signal })).toMatchObject({ prop: 'signal' });
    expect(AL2023.inputProblem({ signal })).toMatchObject({ prop: 'signal' });
    expect(AL2.inputProblem({ signal })).toMatchObject({ prop: 'signal' });
    expect(signalInputProblem({ signal, cluster })).toBeUndefined();
    expect(signalInputProblem({ cluster })).toBeUndefined();
  });
});
