/**
 * Pure renderer of the CloudFormation "node is ready" signal for self-managed Amazon Linux nodes.
 *
 * The signal cannot be sent from the user-data script itself: on AL2023, `nodeadm-run.service` (which
 * starts kubelet) is ordered after `cloud-final.service`, so a script that waited for kubelet would wait
 * forever. The part therefore installs a oneshot systemd unit, ordered after kubelet, and starts it
 * without blocking. `cfn-signal` is shipped in the EKS AMIs (amazon-eks-ami
 * `templates/al2023/provisioners/install-worker.sh` and, for AL2, `templates/al2/provisioners/install-worker.sh`
 * install aws-cfn-bootstrap); it reads HTTPS_PROXY/NO_PROXY from the environment, so CloudFormation is
 * reached through its VPC endpoint when one serves it, else through the proxy.
 *
 * What the signal proves: the API server says this node's `Node` object has the condition `Ready=True`.
 * The program asks with kubelet's own identity: the token comes from the exec credential command of
 * kubelet's kubeconfig on the family's AMI (`KubeletTokenCommand`: the instance role, which the EC2_LINUX
 * access entry maps to `system:node:<name>`), and the Node authorizer lets a node read its own Node
 * (Kubernetes docs, "Using Node Authorization"). The node name is what the API server calls this
 * identity: a SelfSubjectReview (`authentication.k8s.io/v1`, GA in Kubernetes 1.28; allowed to every
 * authenticated user by `system:basic-user`) answers `system:node:<name>`, whichever name the AMI
 * registered (EC2 private DNS name, or the instance id with nodeadm's `InstanceIdNodeName` gate).
 * The API server is called directly with curl and the cluster CA kubelet uses (`CLUSTER_CA_FILE`, written
 * before kubelet starts; the user data carries the CA once, for nodeadm or bootstrap.sh), under the
 * proxy environment of /etc/environment (NO_PROXY lists the API server's domain): the way kubelet
 * reaches it. No kubectl (neither AMI ships one): JSON is read with python3.
 *
 * What makes it fail fast, with the reason on the console (`aws ec2 get-console-output`) and in the
 * journal (the unit's standard output): the boothook found no proxy credentials (its marker file), or
 * the HTTPS proxy accepts no TCP connection, or the API server does not answer, for
 * `unreachableSeconds` in a row. Otherwise it fails at `timeoutSeconds` with the last thing it saw
 * (not registered, NotReady, credentials refused, kubelet unhealthy). Every call has its own timeout.
 *
 * CloudFormation's SignalResource API takes no reason (AWS CloudFormation API reference,
 * "SignalResource"; the cfn-signal documentation lists `--reason` for wait condition handles only), so
 * the stack event shows a FAILURE signal from the instance id and the console says why.
 */
import { shellQuote } from '../../private/encoders';
import { CREDENTIALS_MISSING_MARKER, sourceEtcEnvironment } from './boothook';
import {
  ClusterBootstrap,
  InputProblem,
  KubeletTokenCommand,
  NodeBootstrapInput,
  ReadySignal,
  UserDataPart,
} from './family';

/** The name of the systemd unit that sends the signal. */
export const SIGNAL_UNIT = 'cdk-private-eks-ready-signal';

/** The kubelet health endpoint (kubelet's default `healthzPort` 10248 on localhost). */
const KUBELET_HEALTHZ = 'http://localhost:10248/healthz';

/**
 * The cluster CA on the node, written before kubelet starts from the CA the user data gives: by nodeadm on
 * AL2023 (amazon-eks-ami `nodeadm/internal/kubelet/cert.go`, `caCertificatePath`) and by bootstrap.sh on AL2
 * (`templates/al2/runtime/bootstrap.sh`, `CA_CERTIFICATE_FILE_PATH`). Reading it here instead of carrying
 * the CA a second time keeps a self-managed group's user data about 1.5 KB under EC2's 16 KB.
 */
export const CLUSTER_CA_FILE = '/etc/kubernetes/pki/ca.crt';

/** The SelfSubjectReview request (Kubernetes API reference, SelfSubjectReview v1). */
const SELF_SUBJECT_REVIEW = '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}';

/** What the program needs besides the signal: the API server and kubelet's way of getting a token. */
export interface ReadySignalTarget {
  readonly cluster: ClusterBootstrap;
  readonly tokenCommand: KubeletTokenCommand;
  /** The units the signal unit starts after (those that start kubelet). */
  readonly after: string[];
}

/** The program the unit runs (also what tests render with their own API server and short durations). */
export function renderReadySignalProgram(signal: ReadySignal, target: ReadySignalTarget): string {
  const { cluster } = target;
  const token = target.tokenCommand(cluster.name, signal.region).map(shellQuote).join(' ');
  return [
    '#!/bin/bash',
    "# cdk-private-eks: signal CloudFormation once this node is Ready in the cluster, asked with kubelet's identity;",
    '# fail at once when the proxy or the API server stays unreachable. The reason goes to the journal and the console.',
    'set -uo pipefail',
    ...sourceEtcEnvironment(),
    `stack=${shellQuote(signal.stackName)}`,
    `resource=${shellQuote(signal.logicalId)}`,
    `region=${shellQuote(signal.region)}`,
    `endpoint=${shellQuote(cluster.endpoint)}`,
    `timeout_s=${signal.timeoutSeconds}`,
    `unreachable_s=${signal.unreachableSeconds}`,
    `poll_s=${signal.pollSeconds}`,
    `blocked=${CREDENTIALS_MISSING_MARKER}`,
    'deadline=$((SECONDS + timeout_s))',
    'work="$(mktemp -d)"',
    'trap \'rm -rf "$work"\' EXIT',
    '',
    '# say MESSAGE: to the journal (standard output) and the console (aws ec2 get-console-output).',
    'say() {',
    '  printf \'cdk-private-eks ready signal: %s\\n\' "$1"',
    '  printf \'cdk-private-eks ready signal: %s\\n\' "$1" >/dev/console 2>/dev/null || true',
    '}',
    '# finish CODE REASON: say why, signal CloudFormation, stop.',
    'finish() {',
    '  say "$2 (signalling exit code $1)"',
    '  timeout 120 /opt/aws/bin/cfn-signal --exit-code "$1" --stack "$stack" --resource "$resource" --region "$region" ||',
    '    say "cfn-signal failed"',
    '  exit "$1"',
    '}',
    '# field KEY...: the value at KEY... of the JSON document on standard input.',
    'field() {',
    "  python3 -c 'import json, sys",
    'v = json.load(sys.stdin)',
    'for k in sys.argv[1:]:',
    '    v = v[k]',
    'print(v)\' "$@" 2>/dev/null',
    '}',
    '# ready_condition: the status of the Ready condition of the Node on standard input.',
    'ready_condition() {',
    "  python3 -c 'import json, sys",
    'c = [x for x in json.load(sys.stdin).get("status", {}).get("conditions", []) if x.get("type") == "Ready"]',
    'print(c[0]["status"] if c else "Unknown")\' 2>/dev/null',
    '}',
    '# api METHOD PATH [BODY]: call the API server as this node; the HTTP status (000: no answer) on standard',
    '# output, the body in $work/body. The token reaches curl on standard input, never on a command line.',
    'api() {',
    '  printf \'header = "Authorization: Bearer %s"\\n\' "$tok" |',
    `    curl -sS --config - --connect-timeout 5 --max-time 15 --cacert ${CLUSTER_CA_FILE} -X "$1" \\`,
    '      -H \'Content-Type: application/json\' ${3:+--data-binary "$3"} -o "$work/body" -w \'%{http_code}\' \\',
    '      "$endpoint$2" 2>/dev/null',
    '}',
    '# The HTTPS proxy of /etc/environment as "host port" (none: only VPC endpoints); never its credentials.',
    'proxy_host=""',
    'proxy_port=""',
    'if [ -n "${HTTPS_PROXY:-}" ]; then',
    "  read -r proxy_host proxy_port < <(python3 -c 'import os, urllib.parse as u",
    'p = u.urlsplit(os.environ["HTTPS_PROXY"])',
    'print(p.hostname, p.port or (443 if p.scheme == "https" else 80))\' 2>/dev/null)',
    'fi',
    '',
    'name=""',
    'proxy_down=""',
    'api_down=""',
    'state="nothing checked"',
    'while [ "$SECONDS" -lt "$deadline" ]; do',
    '  state=""',
    '  if [ -f "$blocked" ]; then',
    '    finish 1 "the node has no proxy credentials, kubelet is kept from starting: $(head -c 300 "$blocked")"',
    '  fi',
    '  if [ -n "$proxy_host" ]; then',
    '    if timeout 5 bash -c \'exec 3<>"/dev/tcp/$1/$2"\' _ "$proxy_host" "$proxy_port" 2>/dev/null; then',
    '      proxy_down=""',
    '    else',
    '      proxy_down="${proxy_down:-$SECONDS}"',
    '      if [ $((SECONDS - proxy_down)) -ge "$unreachable_s" ]; then',
    '        finish 1 "the proxy $proxy_host:$proxy_port accepted no connection for ${unreachable_s}s"',
    '      fi',
    '    fi',
    '  fi',
    `  tok="$(timeout 30 ${token} 2>/dev/null | field status token)" || tok=""`,
    '  if [ -z "$name" ]; then',
    `    code="$(api POST /apis/authentication.k8s.io/v1/selfsubjectreviews '${SELF_SUBJECT_REVIEW}')"`,
    '    user="$(field status userInfo username <"$work/body")" || user=""',
    '    case "$code:$user" in',
    '      201:system:node:?*) name="${user#system:node:}" ;;',
    '      201:*) state="the API server knows this node as \'$user\', not as a node: check the access entry" ;;',
    '    esac',
    '  fi',
    '  if [ -n "$name" ]; then',
    '    code="$(api GET "/api/v1/nodes/$name")"',
    '    case "$code" in',
    '      200)',
    '        ready="$(ready_condition <"$work/body")"',
    '        if [ "$ready" = True ]; then',
    '          finish 0 "node $name is Ready"',
    '        fi',
    '        state="node $name is not Ready (Ready=$ready)"',
    '        ;;',
    '      404) state="node $name is not registered" ;;',
    '    esac',
    '  fi',
    '  case "$code" in',
    '    000)',
    '      api_down="${api_down:-$SECONDS}"',
    '      state="the API server $endpoint does not answer"',
    '      if [ $((SECONDS - api_down)) -ge "$unreachable_s" ]; then',
    '        finish 1 "$state for ${unreachable_s}s"',
    '      fi',
    '      ;;',
    '    401 | 403) api_down="" && state="the API server refuses this node\'s credentials (HTTP $code)" ;;',
    '    *) api_down="" ;;',
    '  esac',
    '  state="${state:-the API server answers HTTP $code}"',
    '  if [ -z "$tok" ]; then',
    '    state="$state; kubelet\'s credential command gave no token"',
    '  fi',
    `  if ! curl --silent --fail --max-time 5 --noproxy '*' ${KUBELET_HEALTHZ} >/dev/null; then`,
    '    state="$state; kubelet is not healthy"',
    '  fi',
    '  sleep "$poll_s"',
    'done',
    'finish 1 "not Ready after ${timeout_s}s: $state"',
    '',
  ].join('\n');
}

/** Render the `text/x-shellscript` part that installs and starts the signal unit. */
export function renderReadySignal(signal: ReadySignal, target: ReadySignalTarget): UserDataPart {
  const unit = [
    '[Unit]',
    'Description=Signal CloudFormation once this node is Ready in the cluster (cdk-private-eks)',
    `After=${target.after.join(' ')}`,
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=/usr/local/bin/${SIGNAL_UNIT}`,
    'RemainAfterExit=yes',
  ].join('\n');
  const body = [
    '#!/bin/bash',
    '# cdk-private-eks: install and start the CloudFormation ready signal (runs once per instance).',
    'set -euo pipefail',
    `cat >/usr/local/bin/${SIGNAL_UNIT} <<'CDK_PRIVATE_EKS_SIGNAL'`,
    renderReadySignalProgram(signal, target).trimEnd(),
    'CDK_PRIVATE_EKS_SIGNAL',
    `chmod 0755 /usr/local/bin/${SIGNAL_UNIT}`,
    `cat >/etc/systemd/system/${SIGNAL_UNIT}.service <<'CDK_PRIVATE_EKS_SIGNAL_UNIT'`,
    unit,
    'CDK_PRIVATE_EKS_SIGNAL_UNIT',
    'systemctl daemon-reload',
    `systemctl start --no-block ${SIGNAL_UNIT}.service`,
    '',
  ].join('\n');
  return { contentType: 'text/x-shellscript; charset="us-ascii"', body };
}

/** The signal needs the API server: a signal without cluster details is a wiring mistake, named here. */
export function signalInputProblem(input: NodeBootstrapInput): InputProblem | undefined {
  return input.signal && !input.cluster
    ? {
        prop: 'signal',
        problem: 'is set without the cluster details the ready signal asks the API server with',
        fix: 'Pass cluster (endpoint, CA, name) with signal: the signal checks that the node is Ready in that cluster',
      }
    : undefined;
}

/** The signal part for an input, if it asks for one (after `signalInputProblem` passed). */
export function readySignalParts(
  input: NodeBootstrapInput,
  tokenCommand: KubeletTokenCommand,
  after: string[],
): UserDataPart[] {
  return input.signal && input.cluster
    ? [renderReadySignal(input.signal, { cluster: input.cluster, tokenCommand, after })]
    : [];
}
