/** NO_PROXY composition (lib/proxy/no-proxy.ts). */
import { composeNoProxy, dedupe, ALWAYS_DIRECT } from '../../lib/proxy/no-proxy';

describe('composeNoProxy', () => {
  const base = {
    region: 'us-east-1',
    urlSuffix: 'amazonaws.com',
    vpcCidrs: ['10.0.0.0/16'],
    serviceCidr: '172.20.0.0/16',
    endpointHosts: ['ec2.us-east-1.amazonaws.com', 'api.ecr.us-east-1.amazonaws.com'],
    extra: ['.corp.example'],
  };

  test('has the fixed entries, the CIDRs, internal domains, the EKS API domain, endpoint hosts and extras, in that order', () => {
    expect(composeNoProxy(base)).toEqual([
      ...ALWAYS_DIRECT,
      '10.0.0.0/16',
      '172.20.0.0/16',
      '.internal',
      '.svc',
      '.cluster.local',
      '.us-east-1.eks.amazonaws.com',
      'ec2.us-east-1.amazonaws.com',
      'api.ecr.us-east-1.amazonaws.com',
      '.corp.example',
    ]);
  });

  test('includes IMDS and the Pod Identity agent, v4 and v6', () => {
    expect(composeNoProxy(base)).toEqual(
      expect.arrayContaining(['169.254.169.254', 'fd00:ec2::254', '169.254.170.23', 'fd00:ec2::23']),
    );
  });

  test('removes duplicates case-insensitively and keeps the first', () => {
    const list = composeNoProxy({
      ...base,
      extra: ['LOCALHOST', 'EC2.us-east-1.amazonaws.com', '.corp.example', '.corp.example'],
    });
    expect(list.filter((e) => e.toLowerCase() === 'localhost')).toEqual(['localhost']);
    expect(list.filter((e) => e === '.corp.example')).toHaveLength(1);
    expect(dedupe(['a', 'A', 'b'])).toEqual(['a', 'b']);
  });

  test('keeps token markers verbatim', () => {
    const list = composeNoProxy({ ...base, region: '${Token[AWS.Region.1]}', urlSuffix: '${Token[AWS.URLSuffix.2]}' });
    expect(list).toContain('.${Token[AWS.Region.1]}.eks.${Token[AWS.URLSuffix.2]}');
  });

  test('lists single in-cluster addresses after the CIDRs (Python ignores CIDRs)', () => {
    const list = composeNoProxy({ ...base, addresses: ['172.20.0.1', '172.20.0.10'] });
    expect(list.slice(list.indexOf('172.20.0.0/16'), list.indexOf('172.20.0.0/16') + 3)).toEqual([
      '172.20.0.0/16',
      '172.20.0.1',
      '172.20.0.10',
    ]);
  });

  test('is stable', () => {
    expect(composeNoProxy(base)).toEqual(composeNoProxy(base));
  });
});
