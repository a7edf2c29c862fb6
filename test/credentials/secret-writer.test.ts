/**
 * The proxy-credentials custom resource handler (lib/credentials/python/secret_writer.py, staged with
 * proxy_auth.py as the Lambda asset), run by the real Python against a local TLS "API server", a foreign
 * TLS server and a local CloudFormation response endpoint. Its environment is the synthesized function's
 * (with the cluster's deploy-time values filled in), its event carries the synthesized custom resource's
 * properties, plus a foreign endpoint, CA, cluster, secret and Secret name that it must ignore.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { secretWriterHandlerDir } from '../../lib/credentials/assets';
import { LAMBDA_ENVIRONMENT_MAX_BYTES, lambdaEnvironmentBytes } from '../../lib/private/lambda';
import { DEPLOY_TIME_VALUE_BYTES, WRITER_VARIABLES } from '../../lib/credentials/kubernetes-secret';
import {
  credentialedCluster,
  selfSignedCertificate,
  TEST_SECRET_ARN,
  writeSecretsManagerStubs,
} from '../support/credentials';
import { python3 } from '../support/python';

const HANDLER_DIR = secretWriterHandlerDir();
const SECRET_ARN = TEST_SECRET_ARN;

/** The writer function's variables and its custom resource's properties, as synthesized. */
function synthesized(): { environment: Record<string, any>; properties: Record<string, any> } {
  const { stack } = credentialedCluster({ revision: '2026-12' });
  const template = Template.fromStack(stack);
  const [cr] = Object.values(template.findResources('Custom::CdkPrivateEksProxyCredentials')) as any[];
  const fnId = cr.Properties.ServiceToken['Fn::GetAtt'][0];
  const fn = template.toJSON().Resources[fnId];
  const { ServiceToken: _, ...properties } = cr.Properties;
  return { environment: fn.Properties.Environment.Variables, properties };
}

/**
 * The cluster's deploy-time values, filled in: its name, and its endpoint and CA as the harness's
 * placeholders for one of its TLS servers (`KUBE` or `FOREIGN`).
 */
function filled(value: any, server: 'KUBE' | 'FOREIGN', clusterName: string): any {
  if (Array.isArray(value)) {
    return value.map((v) => filled(v, server, clusterName));
  }
  if (value && typeof value === 'object') {
    if (value.Ref && /^Cluster[0-9A-F]{8}$/.test(value.Ref)) {
      return clusterName;
    }
    const getAtt = value['Fn::GetAtt'];
    if (getAtt && /^Cluster[0-9A-F]{8}$/.test(getAtt[0])) {
      const placeholder = { Endpoint: 'ENDPOINT', CertificateAuthorityData: 'CA' }[getAtt[1] as string];
      if (placeholder) {
        return `@${server}_${placeholder}@`;
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, filled(v, server, clusterName)]));
  }
  return value;
}
const HARNESS = path.resolve(__dirname, '..', 'support', 'proxy-secret-harness.py');
const USER = 'svc-eks';
const PASSWORD = 'S3cr3t%Pa$$:word@';

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-secret-'));
  // A self-signed certificate for 127.0.0.1: the handler must trust exactly the cluster CA it is given.
  selfSignedCertificate(tmp, '/CN=kube-apiserver', 1, ['subjectAltName=IP:127.0.0.1']);
  // Stand-ins for boto3 and botocore: what Secrets Manager returns and what the STS signer presigns.
  const stubs = path.join(tmp, 'stubs');
  writeSecretsManagerStubs(stubs, SECRET_ARN, USER, PASSWORD, ['from . import session']);
  fs.mkdirSync(path.join(stubs, 'boto3', 'session'), { recursive: true });
  fs.writeFileSync(
    path.join(stubs, 'boto3', 'session', '__init__.py'),
    [
      'class _Meta:',
      '    endpoint_url = "https://sts.us-east-1.amazonaws.com"',
      '    class service_model:',
      '        service_id = "STS"',
      'class _Sts:',
      '    meta = _Meta()',
      'class Session:',
      '    region_name = "us-east-1"',
      '    events = None',
      '    def client(self, name):',
      '        assert name == "sts"',
      '        return _Sts()',
      '    def get_credentials(self):',
      '        return object()',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(stubs, 'botocore', 'signers.py'),
    [
      'class RequestSigner:',
      '    def __init__(self, service_id, region, signing_name, version, credentials, events):',
      '        assert (service_id, region, signing_name, version) == ("STS", "us-east-1", "sts", "v4")',
      '    def generate_presigned_url(self, request, region_name, expires_in, operation_name):',
      '        assert request["headers"] == {"x-k8s-aws-id": "private-cluster"}',
      '        return request["url"] + "&X-Amz-Signature=stub"',
    ].join('\n'),
  );
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const { environment, properties } = synthesized();
/** What the function runs with: its synthesized variables, for the cluster `private-cluster` at the stub API server. */
const configured = filled(environment, 'KUBE', 'private-cluster');
/**
 * What an invoker would like it to do instead: the synthesized properties pointed at a foreign cluster and
 * host, plus the properties the handler used to read (endpoint, CA, secret, namespace and name).
 */
const foreignProperties = {
  ...filled(properties, 'FOREIGN', 'foreign-cluster'),
  ClusterName: 'foreign-cluster',
  Endpoint: '@FOREIGN_ENDPOINT@',
  CertificateAuthority: '@FOREIGN_CA@',
  SecretArn: 'arn:aws:secretsmanager:us-east-1:444455556666:secret:other-AbCdEf',
  HttpProxy: 'http://attacker.example:3128',
  HttpsProxy: 'http://attacker.example:3128',
  Namespace: 'default',
  Name: 'stolen',
};

function run(
  requestType: string,
  kubeStatus: number,
  props: Record<string, any> = foreignProperties,
  env = configured,
): any {
  const out = execFileSync(
    python3(),
    [
      HARNESS,
      HANDLER_DIR,
      path.join(tmp, 'stubs'),
      path.join(tmp, 'cert.pem'),
      path.join(tmp, 'key.pem'),
      requestType,
      String(kubeStatus),
      JSON.stringify({ environment: env, properties: props }),
    ],
    { encoding: 'utf8', timeout: 60000, env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' } },
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

test('the function is configured with everything the handler acts on; the custom resource only triggers updates', () => {
  expect(Object.keys(environment).sort()).toEqual(
    [
      ...Object.values(WRITER_VARIABLES),
      'CDK_PRIVATE_EKS_PROXY_SECRET_ARN',
      'CDK_PRIVATE_EKS_PROXY_USERNAME_KEY',
      'CDK_PRIVATE_EKS_PROXY_PASSWORD_KEY',
      'AWS_STS_REGIONAL_ENDPOINTS',
    ].sort(),
  );
  expect(configured).toMatchObject({
    [WRITER_VARIABLES.clusterName]: 'private-cluster',
    [WRITER_VARIABLES.endpoint]: '@KUBE_ENDPOINT@',
    [WRITER_VARIABLES.certificateAuthority]: '@KUBE_CA@',
    CDK_PRIVATE_EKS_PROXY_SECRET_ARN: SECRET_ARN,
    [WRITER_VARIABLES.httpsProxy]: 'http://proxy.corp.example:3128',
    [WRITER_VARIABLES.namespace]: 'kube-system',
    [WRITER_VARIABLES.secretName]: 'proxy-environment-credentials',
  });
  // No HTTP(S)_PROXY of its own: Python and boto3 would send the API server and Secrets Manager calls there.
  expect(Object.keys(environment).filter((k) => /^(https?|no)_proxy$/i.test(k))).toEqual([]);
  expect(properties).toEqual({ Revision: '2026-12', Configuration: environment });
  // The foreign event really differs in what matters, so the next tests mean something.
  expect(foreignProperties.Configuration[WRITER_VARIABLES.endpoint]).toBe('@FOREIGN_ENDPOINT@');
});

test("the environment stays within Lambda's 4 KB with a real cluster CA (RSA 2048, PEM, base64: about 1.5 KB)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eks-ca-'));
  // A CA as EKS makes one: self-signed, RSA 2048, CN kubernetes, ten years.
  selfSignedCertificate(dir, '/CN=kubernetes', 3650, [
    'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
  ]);
  const ca = fs.readFileSync(path.join(dir, 'cert.pem')).toString('base64');
  fs.rmSync(dir, { recursive: true, force: true });
  expect(ca.length).toBeGreaterThan(1300);
  expect(ca.length).toBeLessThan(DEPLOY_TIME_VALUE_BYTES[WRITER_VARIABLES.certificateAuthority]);
  const real = {
    ...configured,
    [WRITER_VARIABLES.clusterName]: 'x'.repeat(100),
    [WRITER_VARIABLES.endpoint]: 'https://0123456789ABCDEF0123456789ABCDEF.gr7.ap-southeast-5.eks.amazonaws.com',
    [WRITER_VARIABLES.certificateAuthority]: ca,
  };
  const bytes = lambdaEnvironmentBytes(real);
  expect(bytes).toBeLessThan(LAMBDA_ENVIRONMENT_MAX_BYTES);
  expect(bytes).toBeLessThan(2600);
});

test('Create writes the Secret over TLS with an EKS token, and answers SUCCESS without echoing the value', () => {
  const seen = run('Create', 200);
  expect(seen.foreign).toEqual([]);
  expect(seen.kube.map((r: any) => `${r.method} ${r.path}`)).toEqual([
    'PUT /api/v1/namespaces/kube-system/secrets/proxy-environment-credentials',
    'POST /api/v1/namespaces/kube-system/secrets',
  ]);
  const token = seen.kube[1].authorization.replace(/^Bearer k8s-aws-v1\./, '');
  expect(Buffer.from(token, 'base64url').toString()).toBe(
    'https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Signature=stub',
  );
  const secret = seen.kube[1].body;
  expect(secret).toMatchObject({
    kind: 'Secret',
    metadata: { name: 'proxy-environment-credentials', namespace: 'kube-system' },
  });
  const decoded = Object.fromEntries(
    Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v as string, 'base64').toString()]),
  );
  const url = `http://${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}@proxy.corp.example:3128`;
  expect(decoded).toEqual({ HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url });
  expect(decodeURIComponent(new URL(decoded.HTTPS_PROXY).password)).toBe(PASSWORD);
  expect(seen.response).toEqual([
    expect.objectContaining({
      Status: 'SUCCESS',
      NoEcho: true,
      PhysicalResourceId: 'kube-system/proxy-environment-credentials',
    }),
  ]);
  expect(JSON.stringify(seen.response)).not.toContain('S3cr3t');
});

test('the writer of another namespace (addProxyEnvironment) writes the Secret there, with its own configuration', () => {
  const { stack, cluster } = credentialedCluster({ revision: '2026-12' });
  cluster.addProxyEnvironment('my-app');
  const variables = (Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as any[])
    .map((f) => f.Properties.Environment?.Variables)
    .find((v) => v?.[WRITER_VARIABLES.namespace] === 'my-app');
  expect(variables).toBeDefined();
  const seen = run('Create', 200, foreignProperties, filled(variables, 'KUBE', 'private-cluster'));
  expect(seen.foreign).toEqual([]);
  expect(seen.kube.map((r: any) => `${r.method} ${r.path}`)).toEqual([
    'PUT /api/v1/namespaces/my-app/secrets/proxy-environment-credentials',
    'POST /api/v1/namespaces/my-app/secrets',
  ]);
  expect(seen.kube[1].body.metadata).toMatchObject({ name: 'proxy-environment-credentials', namespace: 'my-app' });
  expect(seen.response[0]).toMatchObject({
    Status: 'SUCCESS',
    PhysicalResourceId: 'my-app/proxy-environment-credentials',
  });
});

test('Delete removes the Secret', () => {
  const seen = run('Delete', 200);
  expect(seen.foreign).toEqual([]);
  expect(seen.kube.map((r: any) => `${r.method} ${r.path}`)).toEqual([
    'DELETE /api/v1/namespaces/kube-system/secrets/proxy-environment-credentials',
  ]);
  expect(seen.response[0].Status).toBe('SUCCESS');
});

test('a refusal of the API server fails the resource with the status, never the value', () => {
  const seen = run('Update', 403);
  expect(seen.response).toEqual([
    expect.objectContaining({ Status: 'FAILED', Reason: expect.stringContaining('answered 403') }),
  ]);
  expect(JSON.stringify(seen.response)).not.toContain('S3cr3t');
});

test.each(['Create', 'Update', 'Delete'])(
  '%s with an event that names a foreign endpoint, CA, cluster, secret and Secret: only the configured API server is called',
  (requestType) => {
    const seen = run(requestType, 200);
    expect(seen.foreign).toEqual([]);
    expect(seen.kube.length).toBeGreaterThan(0);
    for (const r of seen.kube) {
      expect(r.path).toMatch(/^\/api\/v1\/namespaces\/kube-system\/secrets(\/proxy-environment-credentials)?$/);
    }
    expect(seen.response[0]).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'kube-system/proxy-environment-credentials',
    });
    // The stand-in STS signer asserted the token names private-cluster; Secrets Manager the configured ARN.
    expect(JSON.stringify(seen)).not.toContain('attacker.example');
  },
);

test('the harness can tell: a function configured with the foreign endpoint calls the foreign server', () => {
  const seen = run('Delete', 200, foreignProperties, filled(environment, 'FOREIGN', 'private-cluster'));
  expect(seen.kube).toEqual([]);
  expect(seen.foreign.map((r: any) => `${r.method} ${r.path}`)).toEqual([
    'DELETE /api/v1/namespaces/kube-system/secrets/proxy-environment-credentials',
  ]);
});

test('a function without its configuration fails the resource naming what is missing, and calls nothing', () => {
  const { [WRITER_VARIABLES.certificateAuthority]: _, ...partial } = configured;
  const seen = run('Update', 200, foreignProperties, partial);
  expect(seen.kube).toEqual([]);
  expect(seen.foreign).toEqual([]);
  expect(seen.response).toEqual([
    expect.objectContaining({
      Status: 'FAILED',
      Reason: `the function's configuration lacks ${WRITER_VARIABLES.certificateAuthority}`,
    }),
  ]);
});
