/**
 * Seed 001's shape end to end: the proxy host, port and a NO_PROXY entry as CloudFormation parameters
 * (support/parameter-app.ts). The template is resolved for chosen parameter values, cloud-init splits the
 * user data, and the boothook runs as root in the sandbox (support/boothook-sandbox.sh):
 * (a) good values configure the node byte for byte like the same values written as literals;
 * (b) hostile values (quotes, newlines, `$(...)`, backticks, `;`, `%`, unicode, 3000 characters) never run
 *     the marker payload: the boothook writes nothing, blocks kubelet and names the setting, not the value,
 *     on stderr and the console.
 */
import * as fs from 'fs';
import { CfnParameter, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { PrivateEksCluster, ProxySettings } from '../../lib';
import {
  boothookFor,
  CREDENTIALS_BLOCK_DROP_IN,
  CREDENTIALS_MISSING_MARKER,
  renderBoothook,
  SECRET_ARN_VALUE,
} from '../../lib/nodes/user-data/boothook';
import { proxyEnvironment } from '../../lib/proxy/render-environment';
import { fakeKubectlLayer, isolatedVpc, testApp } from '../support/cdk';
import { cloudInitParts, splitAll } from './support/cloudinit';
import { resourcesOfType } from './support/intrinsics';
import { GOOD, parameterTemplates, resolverFor } from './support/parameter-app';
import { requireCloudInit, requireRoot, requireTools } from './support/proc';
import { TEST_PROXY_PASSWORD, TEST_PROXY_USERINFO, TEST_PROXY_USERNAME } from './support/examples';
import {
  BOOTHOOK_PROFILES,
  environmentBlock,
  NODE_UNITS,
  runBoothookInSandbox,
  SandboxResult,
} from './support/sandbox';

/** Where a payload that ran would leave its mark (the sandbox shares the host's /tmp). */
const MARK = `/tmp/cdk-private-eks-pwned-${process.pid}`;

/** The first launch template's user data, for the parameter values given. */
function userDataOf(template: any, stackName: string, values: Record<string, string> = {}): string {
  const resolver = resolverFor(template, stackName, values);
  const [, lt] = resourcesOfType(template, 'AWS::EC2::LaunchTemplate')[0];
  return Buffer.from(resolver.resolveString(lt.Properties.LaunchTemplateData.UserData), 'base64').toString('utf8');
}

/** Every part of the first launch template's user data, for the parameter values given. */
function userDataParts(template: any, stackName: string, values: Record<string, string> = {}) {
  return cloudInitParts(userDataOf(template, stackName, values));
}

function boothookOf(template: any, stackName: string, values: Record<string, string> = {}): string {
  const hook = userDataParts(template, stackName, values).find((p) => p.boothookScript !== undefined);
  if (!hook) {
    throw new Error(`${stackName}: no boothook`);
  }
  return hook.boothookScript!;
}

let templates: { parameters: any; concrete: any };

beforeAll(() => {
  requireRoot();
  requireTools('unshare', 'ip', 'mount', 'systemd-analyze');
  requireCloudInit();
  templates = parameterTemplates();
  fs.rmSync(MARK, { force: true });
  // Every user data this file splits, in one cloud-init run.
  splitAll([
    userDataOf(templates.parameters, 'Parameters'),
    userDataOf(templates.concrete, 'Concrete'),
    ...HOSTILE.map(([param, value]) => userDataOf(templates.parameters, 'Parameters', { [param]: value })),
  ]);
});
afterAll(() => fs.rmSync(MARK, { force: true }));

describe('(a) good parameter values', () => {
  let params: SandboxResult;
  let literal: SandboxResult;

  beforeAll(() => {
    params = runBoothookInSandbox(boothookOf(templates.parameters, 'Parameters'), 2, NODE_UNITS);
    literal = runBoothookInSandbox(boothookOf(templates.concrete, 'Concrete'), 2, NODE_UNITS);
  });

  test('configure the node exactly like the same values written as literals', () => {
    const r = params.runs[1];
    expect(r.rc).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.files).toEqual(literal.runs[1].files);
    expect(r.files.environment).toContain(`\nHTTPS_PROXY=http://${GOOD.host}:${GOOD.port}\n`);
    expect(r.files.environment).toMatch(new RegExp(`\nNO_PROXY=localhost,.*,\\${GOOD.noProxy}\n`));
    expect(r.files['dnf/dnf.conf']).toContain(`\nproxy=http://${GOOD.host}:${GOOD.port}\n`);
    expect(params.systemd.kubelet.environment).toEqual(literal.systemd.kubelet.environment);
    expect(params.systemd.kubelet.complaints).toEqual([]);
  });

  test('a second boot changes nothing', () => {
    expect(params.runs[2].calls).toEqual([]);
    expect(params.runs[2].files).toEqual(params.runs[1].files);
  });

  test('the NodeConfig leaves the parameter-given proxy out (YAML cannot check it); the literal twin keeps it', () => {
    const nodeConfig = (t: any, name: string, values = {}) =>
      userDataParts(t, name, values).find((p) => p.contentType.startsWith('application/node.eks.aws'))?.payload ?? '';
    expect(nodeConfig(templates.parameters, 'Parameters')).not.toContain('PROXY');
    expect(nodeConfig(templates.concrete, 'Concrete')).toContain(`"HTTPS_PROXY": "http://${GOOD.host}:${GOOD.port}"`);
  });
});

/** Hostile values for each parameter; each one alone, the others good. */
const HOSTILE: Array<[string, string, string]> = [
  ['ProxyHost', `proxy'; touch ${MARK}; echo '`, 'HTTP_PROXY (from proxy.httpProxy)'],
  ['ProxyHost', `proxy\ntouch ${MARK}`, 'HTTP_PROXY (from proxy.httpProxy)'],
  ['ProxyHost', `$(touch ${MARK})`, 'HTTP_PROXY (from proxy.httpProxy)'],
  ['ProxyHost', `\`touch ${MARK}\``, 'HTTP_PROXY (from proxy.httpProxy)'],
  ['ProxyHost', `proxy;touch ${MARK}`, 'HTTP_PROXY (from proxy.httpProxy)'],
  ['ProxyHost', 'proxy%n%h', 'HTTP_PROXY (from proxy.httpProxy)'],
  ['ProxyHost', 'prøxy.corp.example', 'HTTP_PROXY (from proxy.httpProxy)'],
  ['ProxyHost', 'a'.repeat(3000), 'HTTP_PROXY (from proxy.httpProxy)'],
  ['NoProxy', `.corp.example,$(touch ${MARK})`, 'NO_PROXY (from proxy.noProxy[0])'],
  ['NoProxy', `.corp.example\nHTTP_PROXY=http://evil.example:80`, 'NO_PROXY (from proxy.noProxy[0])'],
  ['NoProxy', `x'\n${'`'}touch ${MARK}${'`'}`, 'NO_PROXY (from proxy.noProxy[0])'],
  ['NoProxy', '', 'NO_PROXY (from proxy.noProxy[0])'],
];

describe.each(HOSTILE.map(([p, v, n]) => [p, JSON.stringify(v).slice(0, 60), v, n] as const))(
  '(b) %s = %s',
  (param, _shown, value, named) => {
    let result: SandboxResult;

    beforeAll(() => {
      result = runBoothookInSandbox(boothookOf(templates.parameters, 'Parameters', { [param]: value }), 1);
    });

    test('no payload runs; nothing is written under /etc; kubelet is blocked for the boot', () => {
      expect(fs.existsSync(MARK)).toBe(false);
      const r = result.runs[1];
      expect(r.rc).toBe(1);
      expect(r.stat).toEqual(result.runs[0].stat);
      expect(r.files).toEqual(result.runs[0].files);
      expect(r.calls).toEqual(['systemctl daemon-reload']);
      expect(r.runFiles).toEqual({
        [CREDENTIALS_MISSING_MARKER.replace('/run/', '')]: expect.stringContaining(named),
        [CREDENTIALS_BLOCK_DROP_IN.replace('/run/', '')]: `[Unit]\nAssertPathExists=!${CREDENTIALS_MISSING_MARKER}\n`,
      });
    });

    test('stderr and the console name the setting, never the value', () => {
      const r = result.runs[1];
      const message = `cdk-private-eks: the deploy-time value of ${named} does not have the form the proxy settings need; no proxy settings were written and kubelet is kept from starting, so the node does not join (a reboot tries again)\n`;
      expect(r.console).toBe(message);
      expect(r.stderr.endsWith(message)).toBe(true);
      if (value !== '') {
        expect(r.stderr).not.toContain(value.slice(0, 12));
      }
    });
  },
);

describe('the proxy ConfigMap (JSON text in the template) with a hostile parameter', () => {
  const configMaps = (values: Record<string, string>) => {
    const resolver = resolverFor(templates.parameters, 'Parameters', values);
    return resourcesOfType(templates.parameters, 'Custom::AWSCDK-EKS-KubernetesResource').flatMap(([, r]) =>
      JSON.parse(resolver.resolveString(r.Properties.Manifest)),
    );
  };

  test('a value that closes its string and adds an object stays one value of the one ConfigMap', () => {
    const hostile =
      '.corp.example"}},{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","x":{"a":"\\';
    const objects = configMaps({ NoProxy: hostile });
    expect(objects.map((o) => o.kind)).toEqual(['ConfigMap']);
    expect(objects[0].data.NO_PROXY.endsWith(`,${hostile}`)).toBe(true);
    expect(objects[0].data.no_proxy).toBe(objects[0].data.NO_PROXY);
  });

  test('good values: the same ConfigMap data as the literal twin', () => {
    const literal = resourcesOfType(templates.concrete, 'Custom::AWSCDK-EKS-KubernetesResource').flatMap(([, r]) =>
      JSON.parse(resolverFor(templates.concrete, 'Concrete').resolveString(r.Properties.Manifest)),
    );
    expect(configMaps({})[0].data).toEqual(literal[0].data);
  });
});

describe('deploy-time proxy URL and secret ARN with proxy credentials (the renderer, base64 as CloudFormation resolves it)', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:corp/proxy-AbCdEf';
  const URL = `http://${GOOD.host}:${GOOD.port}`;
  const noProxy = ['localhost', '10.0.0.0/16', GOOD.noProxy];
  const b64 = (v: string) => Buffer.from(v, 'utf8').toString('base64');
  const script = (arn: string) =>
    renderBoothook(
      boothookFor(
        {
          environment: proxyEnvironment({ httpProxy: URL, httpsProxy: URL, noProxy }),
          httpsProxy: URL,
          noProxy,
          credentials: { secretArn: arn, usernameKey: 'username', passwordKey: 'password' },
          deployTimeBase64: { HTTP_PROXY: b64(URL), HTTPS_PROXY: b64(URL), [SECRET_ARN_VALUE]: b64(arn) },
          deployTimeProps: {
            HTTP_PROXY: 'proxy.httpProxy',
            HTTPS_PROXY: 'proxy.httpsProxy',
            [SECRET_ARN_VALUE]: 'proxy.credentials',
          },
          deployTimeInputs: ['proxy.httpProxy', 'proxy.httpsProxy'],
        },
        '/etc/dnf/dnf.conf',
        NODE_UNITS,
        ['amazon-ssm-agent'],
      ),
    );
  const aws = (arn: string) => ({
    expectArgv: [
      'secretsmanager',
      'get-secret-value',
      '--region',
      'us-east-1',
      '--secret-id',
      arn,
      '--query',
      'SecretString',
      '--output',
      'text',
      '--cli-connect-timeout',
      '5',
      '--cli-read-timeout',
      '10',
    ],
    stdout: JSON.stringify({ username: TEST_PROXY_USERNAME, password: TEST_PROXY_PASSWORD }),
  });

  test('the checked URLs get the URL-encoded credentials where literal ones do; the decoded ARN is what the CLI is asked for', () => {
    const result = runBoothookInSandbox(script(ARN), 1, [], BOOTHOOK_PROFILES.AL2023, { aws: aws(ARN) });
    const r = result.runs[1];
    expect(r.rc).toBe(0);
    expect(r.aws.map((c) => c.matched)).toEqual([true]);
    const withAuth = `http://${TEST_PROXY_USERINFO}@${GOOD.host}:${GOOD.port}`;
    expect(environmentBlock(r.files.environment).HTTPS_PROXY).toBe(withAuth);
    expect(r.files['dnf/dnf.conf']).toContain(`\nproxy=${withAuth}\n`);
    expect(r.files['systemd/system/kubelet.service.d/cdk-private-eks-proxy.conf']).toContain(
      `Environment="HTTPS_PROXY=${withAuth.replace(/%/g, '%%')}"`,
    );
  });

  test('a hostile ARN never reaches the CLI: the node fails closed naming proxy.credentials', () => {
    const hostile = `${ARN}'; touch ${MARK}; '`;
    const result = runBoothookInSandbox(script(hostile), 1, [], BOOTHOOK_PROFILES.AL2023, { aws: aws(hostile) });
    const r = result.runs[1];
    expect(fs.existsSync(MARK)).toBe(false);
    expect(r.rc).toBe(1);
    expect(r.aws).toEqual([]);
    expect(r.console).toContain(
      'the deploy-time value of PROXY_SECRET_ARN (from proxy.credentials) does not have the form',
    );
    expect(r.files).toEqual(result.runs[0].files);
  });
});

test("another namespace's proxy ConfigMap (addProxyEnvironment) keeps a hostile parameter one value too", () => {
  const app = testApp();
  const stack = new Stack(app, 'Ns');
  const host = new CfnParameter(stack, 'ProxyHost', { default: GOOD.host });
  const cluster = new PrivateEksCluster(stack, 'Cluster', {
    vpc: isolatedVpc(stack),
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    serviceIpv4Cidr: '172.20.0.0/16',
    proxy: ProxySettings.fromHost(host.valueAsString, 3128),
  });
  cluster.addProxyEnvironment('apps');
  const template = app.synth().getStackByName('Ns').template;
  const hostile = 'x"}},{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"evil';
  const resolver = resolverFor(template, 'Ns', { ProxyHost: hostile });
  const objects = resourcesOfType(template, 'Custom::AWSCDK-EKS-KubernetesResource').flatMap(([, r]) =>
    JSON.parse(resolver.resolveString(r.Properties.Manifest)),
  );
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
  expect(configMaps.map((o) => o.metadata.namespace).sort()).toEqual(['apps', 'kube-system']);
  expect(objects.filter((o) => o.kind === 'Namespace' && o.metadata.name === 'evil')).toEqual([]);
  configMaps.forEach((o) => expect(o.data.HTTPS_PROXY).toBe(`http://${hostile}:3128`));
});
