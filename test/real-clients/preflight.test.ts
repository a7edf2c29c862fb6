/**
 * The preflight handler (lib/preflight/python/preflight.py, staged as the function's code) run by the real
 * Python with the function's synthesized configuration, in a network namespace of loopback stand-ins
 * (support/preflight-sandbox.sh, support/preflight_lab.py): endpoint hosts in a private /etc/hosts, TCP
 * listeners for endpoints and the S3 gateway, proxies that grant, refuse or want credentials, and a local
 * server for CloudFormation's response URL. The good configuration passes; each broken one fails with a
 * reason naming what is wrong and how to fix it; the proxy password never shows.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { PrivateEksCluster, ProxyCredentials, ProxySettings } from '../../lib';
import { PREFLIGHT_VARIABLES, preflightHandlerDir } from '../../lib/preflight/preflight';
import { fakeKubectlLayer, isolatedVpc, testStack } from '../support/cdk';
import { writeSecretsManagerStubs } from '../support/credentials';
import { removeDir, requireRoot, requireTools, run, sandboxArgs, tempDir } from './support/proc';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:proxy-AbCdEf';
const USER = 'svc-eks';
const PASSWORD = 'S3cr3t%Pa$$:word@';
const V = PREFLIGHT_VARIABLES;

/** The synthesized configuration of the preflight function, with the lab's proxy and the VPC CIDR filled in. */
function synthesizedEnvironment(): Record<string, string> {
  const stack = testStack('us-east-1');
  const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'S', SECRET_ARN);
  const cluster = new PrivateEksCluster(stack, 'Cluster', {
    vpc: isolatedVpc(stack),
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    proxy: ProxySettings.fromUrl('http://10.99.0.20:3128', { credentials: ProxyCredentials.fromSecret(secret) }),
    preflight: { proxyTestDomain: 'public.ecr.aws' },
  });
  cluster.addProxiedNodeGroup('Nodes');
  const fns = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as any[];
  const env = fns.find((f) => f.Properties.Environment?.Variables?.[V.interfaceHosts]).Properties.Environment.Variables;
  return { ...env, [V.vpcCidrs]: '10.99.0.0/16' };
}

describe('the preflight handler against loopback stand-ins', () => {
  const good = synthesizedEnvironment();
  const interfaceHosts: string[] = good[V.interfaceHosts].split(',');
  /** Each case: the configuration, and what the reason must say (undefined: SUCCESS). */
  const CASES: Array<[string, Record<string, string>, 'Create' | 'Update' | 'Delete', RegExp | undefined]> = [
    ['good', good, 'Create', undefined],
    ['good-update', good, 'Update', undefined],
    [
      'public-address',
      { ...good, [V.interfaceHosts]: 'sts.us-east-1.amazonaws.com,public.endpoint.example' },
      'Create',
      /public\.endpoint\.example resolves to 203\.0\.113\.5, outside the VPC: the interface endpoint is missing or its private DNS is off/,
    ],
    [
      'no-resolution',
      { ...good, [V.interfaceHosts]: 'logs.us-east-1.amazonaws.com' },
      'Create',
      /logs\.us-east-1\.amazonaws\.com does not resolve/,
    ],
    [
      'nothing-on-443',
      { ...good, [V.interfaceHosts]: 'closed.endpoint.example' },
      'Create',
      /closed\.endpoint\.example \(10\.99\.0\.11\) does not accept connections on 443 .*allow HTTPS from the nodes' security group/,
    ],
    [
      'no-gateway-route',
      { ...good, [V.gatewayHosts]: 'unrouted.s3.example' },
      'Create',
      /unrouted\.s3\.example is not reachable on 443 .*S3 gateway endpoint has no route/,
    ],
    [
      'proxy-down',
      { ...good, [V.proxyUrl]: 'http://10.99.0.21:3128' },
      'Create',
      /the proxy 10\.99\.0\.21:3128 does not accept connections/,
    ],
    [
      'proxy-forbids',
      { ...good, [V.proxyUrl]: 'http://10.99.0.20:3129' },
      'Create',
      /the proxy 10\.99\.0\.20:3129 answered 403 to CONNECT public\.ecr\.aws:443: it refuses public\.ecr\.aws/,
    ],
    [
      'proxy-wants-credentials',
      Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'CDK_PRIVATE_EKS_PROXY_SECRET_ARN')),
      'Create',
      /answered 407 to CONNECT public\.ecr\.aws:443: it wants credentials/,
    ],
    ['delete-always-succeeds', { ...good, [V.proxyUrl]: 'http://10.99.0.21:3128' }, 'Delete', undefined],
  ];
  let work: string;
  let results: Record<string, { response: any; seconds: number; stdout: string }>;

  beforeAll(() => {
    requireRoot();
    requireTools('unshare', 'ip', 'mount');
    work = tempDir('preflight');
    const hosts = [
      '127.0.0.1 localhost',
      ...interfaceHosts.map((h) => `10.99.0.10 ${h}`),
      '10.99.0.10 sts.us-east-1.amazonaws.com',
      '10.99.0.30 s3.us-east-1.amazonaws.com',
      '203.0.113.5 public.endpoint.example',
      '10.99.0.11 closed.endpoint.example',
      '10.99.0.31 unrouted.s3.example',
    ];
    fs.writeFileSync(path.join(work, 'hosts'), hosts.join('\n') + '\n');
    const stubs = path.join(work, 'stubs');
    writeSecretsManagerStubs(stubs, SECRET_ARN, USER, PASSWORD);
    fs.writeFileSync(
      path.join(work, 'cases.json'),
      JSON.stringify(CASES.map(([name, environment, requestType]) => ({ name, environment, requestType }))),
    );
    const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    const r = run('unshare', sandboxArgs('preflight-sandbox.sh', work, preflightHandlerDir(), stubs), {
      timeout: 120_000,
      env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1', LAB_PROXY_AUTHORIZATION: auth },
    });
    if (r.status !== 0) {
      throw new Error(`the sandbox failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
    }
    results = JSON.parse(fs.readFileSync(path.join(work, 'results.json'), 'utf8'));
  });
  afterAll(() => removeDir(work));

  test('the synthesized configuration checks every endpoint host of the cluster and the S3 gateway', () => {
    expect(interfaceHosts).toContain('111122223333.dkr.ecr.us-east-1.amazonaws.com');
    expect(good[V.gatewayHosts]).toBe('s3.us-east-1.amazonaws.com');
    expect(good[V.connectDomain]).toBe('public.ecr.aws');
  });

  test.each(CASES.map(([name, , , reason]) => [name, reason] as const))('%s', (name, reason) => {
    const { response } = results[name];
    expect(response).toMatchObject({
      Status: reason === undefined ? 'SUCCESS' : 'FAILED',
      PhysicalResourceId: 'cdk-private-eks-preflight',
      RequestId: name,
      LogicalResourceId: 'Preflight',
    });
    if (reason !== undefined) {
      expect(response.Reason).toMatch(/^Nodes would not join: /);
      expect(response.Reason).toMatch(reason);
      expect(response.Reason).toMatch(/turn the check off with preflight: \{ enabled: false \}/);
    }
  });

  test('the proxy password never appears in a response or in the log', () => {
    const all = JSON.stringify(results);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
  });
});
