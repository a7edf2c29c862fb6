import { Fn } from 'aws-cdk-lib';
import { ProxySettings } from '../lib';
import { parseDocument } from 'yaml';
import {
  boothookFor,
  PROXY_AUTH_PLACEHOLDER,
  renderBoothook,
  ENV_BEGIN,
  ENV_END,
} from '../lib/nodes/user-data/boothook';
import { renderNodeConfig } from '../lib/nodes/user-data/nodeadm';
import { composeNoProxy, dedupe, ALWAYS_DIRECT } from '../lib/proxy/no-proxy';
import {
  proxyEnvironment,
  renderEtcEnvironment,
  renderSystemdDropIn,
  systemdQuote,
} from '../lib/proxy/render-environment';
import { parseProxyUrl, isProblem, noProxyEntryProblem } from '../lib/private/proxy-url';
import { defaultServiceCidr, overlaps, parseCidr, serviceCidrProblem } from '../lib/private/cidr';
import {
  DEFAULT_TARGETS,
  PROXY_CONFIGMAP_NAME,
  PROXY_HASH_ANNOTATION,
  renderApplyPatch,
  renderRestorePatch,
} from '../lib/manifests/proxy-patch';

const env = proxyEnvironment({
  httpProxy: 'http://proxy:3128',
  httpsProxy: 'http://proxy:3128',
  noProxy: ['localhost', '10.0.0.0/16'],
});

describe('parseProxyUrl', () => {
  test.each([
    ['http://proxy.corp.example:3128', 'http://proxy.corp.example:3128'],
    ['HTTP://Proxy.Corp.Example:3128/', 'http://proxy.corp.example:3128'],
    ['https://10.0.0.254:443', 'https://10.0.0.254:443'],
    ['http://[fd00::1]:8080', 'http://[fd00::1]:8080'],
  ])('%s is accepted as %s', (raw, url) => {
    const parsed = parseProxyUrl(raw);
    expect(isProblem(parsed)).toBe(false);
    expect(parsed).toMatchObject({ url });
  });

  test.each([
    ['proxy.corp.example:3128', /no scheme/],
    ['socks5://proxy:1080', /scheme 'socks5'/],
    ['http://proxy', /no port/],
    ['http://user:pa%40ss@proxy:3128', /credentials/],
    ['http://proxy:3128/path', /path/],
    ['http://proxy:0', /outside 1-65535/],
    ['http://proxy:70000', /outside 1-65535/],
    ['http://pro xy:3128', /white space/],
    ['http://pro_xy!:3128', /invalid host/],
  ])('%s is rejected', (raw, message) => {
    const parsed = parseProxyUrl(raw);
    expect(isProblem(parsed)).toBe(true);
    expect(isProblem(parsed) && `${parsed.problem}. ${parsed.fix}`).toMatch(message);
  });

  test('the port error says why the default is not taken', () => {
    const parsed = parseProxyUrl('http://proxy');
    expect(isProblem(parsed) && parsed.fix).toMatch(/curl uses 1080/);
  });
});

describe('NO_PROXY entries', () => {
  test.each(['.corp.example', 'host.example', '10.0.0.0/8', '192.168.1.7', 'fd00:ec2::254', '*', 'host:8080'])(
    '%s is valid',
    (e) => {
      expect(noProxyEntryProblem(e)).toBeUndefined();
    },
  );
  test.each(['', 'a,b', 'has space', '$HOME', '10.0.0.0/40', '300.1.1.1/8', 'quote"d'])('%s is invalid', (e) => {
    expect(noProxyEntryProblem(e)).toBeDefined();
  });
});

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

describe('environment renderers', () => {
  test('both cases of the three variables', () => {
    expect(Object.keys(env)).toEqual([
      'HTTP_PROXY',
      'HTTPS_PROXY',
      'NO_PROXY',
      'http_proxy',
      'https_proxy',
      'no_proxy',
    ]);
    expect(env.no_proxy).toBe('localhost,10.0.0.0/16');
  });

  test('/etc/environment has one KEY=value line per variable', () => {
    expect(renderEtcEnvironment(env).trim().split('\n')).toHaveLength(6);
    expect(renderEtcEnvironment(env)).toContain('HTTPS_PROXY=http://proxy:3128\n');
  });

  test('systemd values escape %, backslash and quotes', () => {
    expect(systemdQuote('http://u:p%40ss@h:1')).toBe('http://u:p%%40ss@h:1');
    expect(systemdQuote('a"b\\c')).toBe('a\\"b\\\\c');
    const dropIn = renderSystemdDropIn({ HTTP_PROXY: 'http://h:1/%x' });
    expect(dropIn).toBe('[Service]\nEnvironment="HTTP_PROXY=http://h:1/%%x"\n');
  });
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

describe('renderNodeConfig', () => {
  test('is a YAML NodeConfig with the environment under spec.instance.environment.default', () => {
    const doc = parseDocument(renderNodeConfig({ environment: env }));
    expect(doc.errors).toEqual([]);
    const config = doc.toJS();
    expect(config.apiVersion).toBe('node.eks.aws/v1alpha1');
    expect(config.kind).toBe('NodeConfig');
    expect(config.spec.instance.environment.default).toEqual(env);
    expect(config.spec.cluster).toBeUndefined();
  });

  test('quotes values that YAML would otherwise read as something else', () => {
    const doc = parseDocument(renderNodeConfig({ environment: { A: 'yes', B: '1.10', C: 'a: b', D: '#x' } }));
    expect(doc.toJS().spec.instance.environment.default).toEqual({ A: 'yes', B: '1.10', C: 'a: b', D: '#x' });
  });
});

describe('CIDR arithmetic', () => {
  test('overlap', () => {
    expect(overlaps(parseCidr('10.0.0.0/16')!, parseCidr('10.0.128.0/17')!)).toBe(true);
    expect(overlaps(parseCidr('10.0.0.0/16')!, parseCidr('10.1.0.0/16')!)).toBe(false);
  });

  test.each([
    [['10.0.0.0/16'], '172.20.0.0/16'],
    [['172.25.0.0/16'], '10.100.0.0/16'],
    [['192.168.0.0/16'], '10.100.0.0/16'],
    [['192.168.0.0/16', '10.10.0.0/16'], '172.20.0.0/16'],
    // EKS's pick overlaps a secondary block: the other candidate.
    [['10.0.0.0/16', '172.20.0.0/16'], '10.100.0.0/16'],
    [['172.25.0.0/16', '10.100.0.0/16'], '172.20.0.0/16'],
    [['10.0.0.0/8', '172.16.0.0/12'], undefined],
  ])('default service CIDR for %j is %s', (vpc, expected) => {
    expect(defaultServiceCidr(vpc)).toBe(expected);
  });

  test.each([
    ['10.0.0.0/16', /overlaps the VPC CIDR 10.0.0.0\/16/],
    ['10.0.0.0/8', /\/8 prefix/],
    ['172.20.0.0/25', /\/25 prefix/],
    ['100.64.0.0/16', /not inside/],
    ['172.20.0.1/16', /not an IPv4 network/],
    ['nonsense', /not an IPv4 network/],
  ])('service CIDR %s is rejected', (cidr, message) => {
    expect(serviceCidrProblem(cidr, ['10.0.0.0/16'])).toMatch(message);
  });

  test('a valid service CIDR passes', () => {
    expect(serviceCidrProblem('172.20.0.0/16', ['10.0.0.0/16'])).toBeUndefined();
  });
});

describe('DaemonSet patches', () => {
  test('every container of aws-node and kube-proxy gets the ConfigMap, and the pod template the hash', () => {
    const [awsNode, kubeProxy] = DEFAULT_TARGETS;
    const patch = renderApplyPatch(awsNode, 'abc');
    expect(patch.spec.template.spec.containers).toEqual([
      { name: 'aws-node', envFrom: [{ configMapRef: { name: PROXY_CONFIGMAP_NAME } }] },
      { name: 'aws-eks-nodeagent', envFrom: [{ configMapRef: { name: PROXY_CONFIGMAP_NAME } }] },
    ]);
    expect(patch.spec.template.metadata.annotations[PROXY_HASH_ANNOTATION]).toBe('abc');
    expect(renderApplyPatch(kubeProxy, 'abc').spec.template.spec.containers.map((c: any) => c.name)).toEqual([
      'kube-proxy',
    ]);
  });

  test('existing envFrom sources are kept in front of ours, and restored on removal', () => {
    const target = {
      name: 'x',
      namespace: 'kube-system',
      containers: ['c'],
      keepEnvFrom: [{ secretRef: { name: 's' } }],
    };
    expect(renderApplyPatch(target, 'h').spec.template.spec.containers[0].envFrom).toEqual([
      { secretRef: { name: 's' } },
      { configMapRef: { name: PROXY_CONFIGMAP_NAME } },
    ]);
    const restore = renderRestorePatch(target);
    expect(restore.spec.template.spec.containers[0].envFrom).toEqual([{ secretRef: { name: 's' } }]);
    expect(restore.spec.template.metadata.annotations[PROXY_HASH_ANNOTATION]).toBeNull();
  });
});

describe('ProxySettings.fromHost', () => {
  test('a concrete host gives the normalised URL and host:port', () => {
    const p = ProxySettings.fromHost('proxy.corp.example', 3128);
    expect(p.httpProxy).toBe('http://proxy.corp.example:3128');
    expect(p.httpsProxyHostPort).toBe('proxy.corp.example:3128');
  });

  test('a token host keeps host:port known (for Bottlerocket)', () => {
    const p = ProxySettings.fromHost(Fn.importValue('ProxyDns'), 3128);
    expect(p.httpsProxyHostPort).toMatch(/^\$\{Token\[.*\]\}:3128$/);
  });

  test.each([[0], [70000], [1.5]])('port %s is refused', (port) => {
    expect(() => ProxySettings.fromHost('proxy', port)).toThrow(/port/);
  });

  test('a host with a scheme is refused', () => {
    expect(() => ProxySettings.fromHost('http://proxy', 3128)).toThrow(/without scheme/);
  });
});

describe('renderBoothook with proxy credentials', () => {
  const script: string = renderBoothook(
    boothookFor(
      {
        environment: env,
        httpsProxy: 'http://proxy:3128',
        noProxy: ['localhost'],
        credentials: {
          secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:p',
          usernameKey: 'username',
          passwordKey: 'password',
        },
      },
      '/etc/dnf/dnf.conf',
      ['containerd'],
      [],
    ),
  );

  test('reads the secret with IMDSv2 and the AWS CLI, and writes root-only files', () => {
    expect(script).toContain('X-aws-ec2-metadata-token-ttl-seconds: 300');
    expect(script).toContain(
      'aws secretsmanager get-secret-value --region "$region" --secret-id \'arn:aws:secretsmanager:us-east-1:111122223333:secret:p\'',
    );
    expect(script.match(/replace_file \S+ 0600/g)).toHaveLength(3);
    expect(script).not.toMatch(/replace_file \S+ 0644/);
  });

  test('never puts the credentials on a command line (readable by anyone in /proc)', () => {
    expect(script).not.toMatch(/sed[^\n]*\$auth/);
    expect(script).toContain('CDK_PRIVATE_EKS_AUTH="$1" awk');
    expect(script.match(/\| fill_auth "\$auth(_systemd)?"/g)).toHaveLength(3);
    expect(script).toContain(`http://${PROXY_AUTH_PLACEHOLDER}@proxy:3128`);
  });
});
