/**
 * Pure renderer of the CloudFormation "node is ready" signal for self-managed Amazon Linux nodes.
 *
 * The signal cannot be sent from the user-data script itself: on AL2023, `nodeadm-run.service` (which
 * starts kubelet) is ordered after `cloud-final.service`, so a script that waited for kubelet would wait
 * forever. The part therefore installs a oneshot systemd unit, ordered after kubelet, and starts it
 * without blocking. The unit waits for kubelet's health endpoint and calls `cfn-signal` (shipped in the
 * EKS AMIs: amazon-eks-ami `templates/al2023/provisioners/install-worker.sh` installs aws-cfn-bootstrap).
 * `cfn-signal` reads HTTPS_PROXY/NO_PROXY from the environment, so CloudFormation is reached through its
 * VPC endpoint when one serves it, else through the proxy.
 *
 * Fixes the seed's `cfn-signal` call, which lost its line continuation and signalled `$?` of the wrong
 * command.
 */
import { sourceEtcEnvironment } from './boothook';
import { ReadySignal, UserDataPart } from './family';

/** The name of the systemd unit that sends the signal. */
export const SIGNAL_UNIT = 'cdk-private-eks-ready-signal';

/** The kubelet health endpoint (kubelet's default `healthzPort` 10248 on localhost). */
const KUBELET_HEALTHZ = 'http://localhost:10248/healthz';

/** Render the `text/x-shellscript` part that installs and starts the signal unit. */
export function renderReadySignal(signal: ReadySignal, after: string[]): UserDataPart {
  const script = [
    '#!/bin/bash',
    '# Wait for a healthy kubelet, then signal CloudFormation (success, or failure after the timeout).',
    'set -uo pipefail',
    ...sourceEtcEnvironment(),
    `deadline=$((SECONDS + ${signal.timeoutMinutes} * 60))`,
    'status=1',
    'while [ "$SECONDS" -lt "$deadline" ]; do',
    `  if curl --silent --fail --max-time 5 --noproxy '*' ${KUBELET_HEALTHZ} >/dev/null; then`,
    '    status=0',
    '    break',
    '  fi',
    '  sleep 10',
    'done',
    `exec /opt/aws/bin/cfn-signal --exit-code "$status" --stack '${signal.stackName}' --resource '${signal.logicalId}' --region '${signal.region}'`,
  ].join('\n');
  const unit = [
    '[Unit]',
    'Description=Signal CloudFormation once kubelet is healthy (cdk-private-eks)',
    `After=${after.join(' ')}`,
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
    script,
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
