/**
 * Amazon Linux 2 renderer inputs shared by the unit tests (test/nodes/user-data/al2.test.ts) and the
 * real-client shellcheck of the AL2 parts (test/real-clients/al2-shellcheck.test.ts).
 */
import { AL2 } from '../../lib/nodes/user-data/al2';
import { ClusterBootstrap, NodeBootstrapInput, NodeProxy, UserDataPart } from '../../lib/nodes/user-data/family';
import { proxyEnvironment } from '../../lib/proxy/render-environment';

export const proxy: NodeProxy = {
  environment: proxyEnvironment({
    httpProxy: 'http://proxy.corp.example:3128',
    httpsProxy: 'http://proxy.corp.example:3128',
    noProxy: ['localhost', '169.254.169.254', '10.0.0.0/16'],
  }),
  httpsProxy: 'http://proxy.corp.example:3128',
  noProxy: ['localhost', '169.254.169.254', '10.0.0.0/16'],
};

/** Cluster details as the construct passes them: token markers for the CloudFormation attributes. */
export const cluster: ClusterBootstrap = {
  name: '${Token[TOKEN.101]}',
  endpoint: '${Token[TOKEN.102]}',
  certificateAuthority: '${Token[TOKEN.103]}',
  serviceCidr: '172.20.0.0/16',
  dnsClusterIp: '172.20.0.10',
};

export const kubelet = { labels: { role: 'worker', 'example.com/tier': 'a' }, taints: ['dedicated=x:NoSchedule'] };
export const signal = {
  stackName: 'Test',
  logicalId: 'WorkersAsg1234',
  region: 'us-east-1',
  timeoutSeconds: 660,
  unreachableSeconds: 180,
  pollSeconds: 10,
};

/** The MIME parts AL2 renders for an input. */
export function al2Parts(input: NodeBootstrapInput): UserDataPart[] {
  const rendered = AL2.render(input);
  if (rendered.kind !== 'mime') {
    throw new Error('AL2 user data must be MIME multi-part');
  }
  return rendered.parts;
}
