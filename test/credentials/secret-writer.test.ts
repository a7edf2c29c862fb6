/**
 * The proxy-credentials custom resource handler (lib/credentials/python/secret_writer.py, staged with
 * proxy_auth.py as the Lambda asset), run by
 * the real Python against a local TLS "API server" and a local CloudFormation response endpoint.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { secretWriterHandlerDir } from '../../lib/credentials/assets';

const HANDLER_DIR = secretWriterHandlerDir();
const HARNESS = path.resolve(__dirname, '..', 'support', 'proxy-secret-harness.py');
const USER = 'svc-eks';
const PASSWORD = 'S3cr3t%Pa$$:word@';

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-secret-'));
  // A self-signed certificate for 127.0.0.1: the handler must trust exactly the cluster CA it is given.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=kube-apiserver',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      path.join(tmp, 'key.pem'),
      '-out',
      path.join(tmp, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  // Stand-ins for boto3 and botocore: what Secrets Manager returns and what the STS signer presigns.
  const stubs = path.join(tmp, 'stubs');
  fs.mkdirSync(path.join(stubs, 'boto3', 'session'), { recursive: true });
  fs.mkdirSync(path.join(stubs, 'botocore'), { recursive: true });
  fs.writeFileSync(
    path.join(stubs, 'boto3', '__init__.py'),
    [
      'import json',
      'from . import session',
      'class _SecretsManager:',
      '    def get_secret_value(self, SecretId):',
      '        assert SecretId.startswith("arn:aws:secretsmanager:")',
      `        return {"SecretString": json.dumps({"username": ${JSON.stringify(USER)}, "password": ${JSON.stringify(PASSWORD)}})}`,
      'def client(name, config=None):',
      '    assert name == "secretsmanager"',
      '    # Timeouts well below the 2-minute function timeout (botocore defaults would be 60 s + 60 s, retried).',
      '    assert config.kw["connect_timeout"] <= 5 and config.kw["read_timeout"] <= 10, config.kw',
      '    assert config.kw["retries"]["max_attempts"] <= 3, config.kw',
      '    return _SecretsManager()',
    ].join('\n'),
  );
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
  fs.writeFileSync(path.join(stubs, 'botocore', '__init__.py'), '');
  fs.writeFileSync(
    path.join(stubs, 'botocore', 'config.py'),
    ['class Config:', '    def __init__(self, **kw):', '        self.kw = kw'].join('\n'),
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

function run(requestType: string, kubeStatus: number): any {
  const out = execFileSync(
    'python3',
    [
      HARNESS,
      HANDLER_DIR,
      path.join(tmp, 'stubs'),
      path.join(tmp, 'cert.pem'),
      path.join(tmp, 'key.pem'),
      requestType,
      String(kubeStatus),
    ],
    { encoding: 'utf8', timeout: 60000, env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' } },
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

test('Create writes the Secret over TLS with an EKS token, and answers SUCCESS without echoing the value', () => {
  const seen = run('Create', 200);
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

test('Delete removes the Secret', () => {
  const seen = run('Delete', 200);
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
