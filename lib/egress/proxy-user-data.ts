/**
 * Pure rendering of the egress proxy instances' user data (a bash script's commands): install Squid, the
 * CloudWatch agent and cfn-bootstrap, write squid.conf and the agent configuration, start both, and
 * wait for Squid to listen. No CDK imports: values may be token markers (the log group name).
 */

import { DEFAULT_SQUID_PATHS } from './squid-config';

/** Where the CloudWatch agent reads its configuration (the path of the agent's own documentation). */
export const CLOUDWATCH_AGENT_CONFIG = '/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json';

/** Input of `renderProxyUserData`. */
export interface ProxyUserDataInput {
  /** The rendered squid.conf. */
  readonly squidConfig: string;
  /** The port Squid listens on. */
  readonly port: number;
  /** The log group of the access and cache logs. */
  readonly logGroupName: string;
}

/** The commands of a proxy instance's user data, before the signal that CDK adds on exit. */
export function renderProxyUserData(input: ProxyUserDataInput): string[] {
  const squidEof = 'CDK_PRIVATE_EKS_SQUID_CONF';
  const agentEof = 'CDK_PRIVATE_EKS_CLOUDWATCH_AGENT_CONF';
  const agentConfig = {
    // The agent reads /var/log/squid, which the squid package keeps to user squid; on Linux the agent
    // runs as root by default (CloudWatch user guide, "Common scenarios with the CloudWatch agent").
    agent: { run_as_user: 'root' },
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            {
              file_path: DEFAULT_SQUID_PATHS.accessLog,
              log_group_name: input.logGroupName,
              log_stream_name: '{instance_id}/access.log',
              timestamp_format: '%Y-%m-%dT%H:%M:%S',
              timezone: 'UTC',
            },
            {
              file_path: DEFAULT_SQUID_PATHS.cacheLog,
              log_group_name: input.logGroupName,
              log_stream_name: '{instance_id}/cache.log',
              timestamp_format: '%Y/%m/%d %H:%M:%S',
            },
          ],
        },
      },
    },
  };
  return [
    'set -euo pipefail',
    // AL2023 package names: squid (6.x), amazon-cloudwatch-agent, and aws-cfn-bootstrap for cfn-signal,
    // which the AL2023 AMIs do not include (amazonlinux/amazon-linux-2023 issues #152, #335, #46, #768).
    'dnf install -y squid amazon-cloudwatch-agent aws-cfn-bootstrap',
    // Quoted here-documents: nothing in them is expanded by the shell.
    `cat > /etc/squid/squid.conf <<'${squidEof}'`,
    ...input.squidConfig.replace(/\n$/, '').split('\n'),
    squidEof,
    // A configuration Squid refuses fails the instance (and its signal) instead of leaving it without a proxy.
    'squid -k parse -f /etc/squid/squid.conf',
    `install -d -m 0755 ${CLOUDWATCH_AGENT_CONFIG.replace(/\/[^/]+$/, '')}`,
    `cat > ${CLOUDWATCH_AGENT_CONFIG} <<'${agentEof}'`,
    JSON.stringify(agentConfig, undefined, 2),
    agentEof,
    'systemctl enable --now squid',
    `/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${CLOUDWATCH_AGENT_CONFIG}`,
    // Signal only once Squid accepts connections on the port.
    `timeout 120 bash -c 'until (exec 3<>/dev/tcp/127.0.0.1/${input.port}) 2>/dev/null; do sleep 2; done'`,
  ];
}
