/**
 * Check 13: a TLS-inspecting proxy — Squid with ssl_bump (Debian's squid-openssl; support/squid-bump.ts),
 * which terminates each CONNECT with a certificate it mints for the name and signs with an inspection CA
 * made by openssl now — in front of an HTTPS server standing for a public registry (support/tls_origin.py;
 * its certificate from another throwaway CA, which only Squid trusts), both on loopback. Each consumer of
 * ProxySettings.caBundle is given to real clients: curl (OpenSSL), Go's net/http (support/go-programs.ts)
 * and Python's urllib, each through the proxy (HTTPS_PROXY). With our bundle they get the registry's
 * answer; without it (the broken variant) each fails with a certificate error. Squid's access log shows
 * the decrypted requests, so the interception really happened.
 *
 * - nodes: the CA boothook runs twice in the boothook sandbox (support/boothook-sandbox.sh); its
 *   `update-ca-trust` runs the TLS step of Amazon Linux's script with the real p11-kit `trust extract`
 *   (Debian has p11-kit but not the Fedora script), reading /etc/pki/ca-trust/source and Debian's roots;
 *   the clients then use the extracted bundle as their trust store;
 * - the kubectl handler: its environment (caBundleEnvironment) with the layer's file (combinedBundle of
 *   Node's public roots and the bundle) at a local path; besides curl, Go and urllib, the AWS clients read
 *   AWS_CA_BUNDLE: botocore (Debian's python3-botocore, under the handler's boto3) and the AWS CLI (Debian's
 *   awscli) call STS GetCallerIdentity through the proxy;
 * - pods: SSL_CERT_DIR of the DaemonSet patch with the ConfigMap's file in the mounted directory (Go).
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawn, ChildProcess } from 'child_process';
import { rootCertificates } from 'tls';
import { CA_BUNDLE_KEY, CA_CERT_DIR, CA_MOUNT_PATH } from '../../lib/manifests/proxy-patch';
import { CA_ANCHOR, renderCaTrustBoothook } from '../../lib/nodes/user-data/ca-bundle';
import { caBundleEnvironment, combinedBundle, isCaBundleProblem, parseCaBundle } from '../../lib/private/ca-bundle';
import { goProbe } from './support/go-programs';
import { PYTHON, removeDir, requireRoot, requireTools, run, runOk, SUPPORT_DIR, tempDir } from './support/proc';
import { runBoothookInSandbox, SandboxResult } from './support/sandbox';
import { SquidBump } from './support/squid-bump';
import { newP256Key } from './support/openssl';

const HOST = 'registry.test';
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** Where Amazon Linux's update-ca-trust writes the TLS bundle (/etc/pki/tls/certs/ca-bundle.crt links to it). */
const EXTRACTED = '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem';

/** The base64 bodies of the PEM certificates in `text`, whitespace removed. */
function pemBodies(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) =>
    m[1].replace(/\s+/g, ''),
  );
}
/** Debian's AWS CLI (scripts/test-tools.sh), not whatever `aws` comes first on PATH. */
const AWS_CLI = '/usr/bin/aws';

let work: string;
let children: ChildProcess[] = [];
let proxyUrl: string;
/** The registry's URL (its port is the kernel's pick). */
let url: string;
let squid: SquidBump | undefined;
let proxyCaPem: string;

function openssl(...args: string[]): void {
  runOk('openssl', args, { cwd: work });
}

/** `openssl req` with a new P-256 key in `<name>.key`. */
const NEW_KEY = (name: string) => newP256Key(`${name}.key`);

function makeCa(name: string, cn: string): void {
  openssl(
    'req',
    '-x509',
    ...NEW_KEY(name),
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-subj',
    `/O=Test/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
}

async function start(args: string[], portFile: string): Promise<number> {
  const child = spawn(PYTHON, [path.join(SUPPORT_DIR, 'tls_origin.py'), ...args, '--port-file', portFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    if (fs.existsSync(portFile)) {
      return Number(fs.readFileSync(portFile, 'utf8'));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${args[0]} did not start`);
}

beforeAll(async () => {
  requireRoot();
  requireTools('openssl', 'curl', 'unshare', PYTHON, AWS_CLI);
  work = tempDir('tls-inspection');
  makeCa('public-ca', 'Stand-in Public Root');
  makeCa('inspection-ca', 'Corp TLS Inspection CA');
  fs.writeFileSync(path.join(work, 'server.ext'), `subjectAltName=DNS:${HOST}\n`);
  openssl('req', ...NEW_KEY('server'), '-out', 'server.csr', '-subj', `/CN=${HOST}`);
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'public-ca.pem',
    '-CAkey',
    'public-ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'server.ext',
    '-out',
    'server.pem',
  );
  const upstream = await start(
    ['serve', '--cert', path.join(work, 'server.pem'), '--key', path.join(work, 'server.key')],
    path.join(work, 'upstream.port'),
  );
  url = `https://${HOST}:${upstream}/v2/`;
  squid = new SquidBump({
    work,
    caCert: path.join(work, 'inspection-ca.pem'),
    caKey: path.join(work, 'inspection-ca.key'),
    upstreamCa: path.join(work, 'public-ca.pem'),
    hosts: { [HOST]: '127.0.0.1' },
  });
  proxyUrl = await squid.start();
  const parsed = parseCaBundle(fs.readFileSync(path.join(work, 'inspection-ca.pem'), 'utf8'));
  if (isCaBundleProblem(parsed)) {
    throw new Error(parsed.problem);
  }
  proxyCaPem = parsed.pem;
}, 60_000);

afterAll(async () => {
  await squid?.stop();
  children.forEach((c) => c.kill());
  children = [];
  removeDir(work);
});

interface Outcome {
  readonly ok: boolean;
  readonly detail: string;
}

/** The three clients through the proxy, with `env` (plus the proxy variables) and, for curl, `cacert`. */
function clients(env: Record<string, string>, cacert?: string): Record<string, Outcome> {
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HTTPS_PROXY: proxyUrl, https_proxy: proxyUrl, ...env };
  const curl = run('curl', ['-sS', '--max-time', '10', ...(cacert ? ['--cacert', cacert] : []), url], { env: base });
  const go = JSON.parse(runOk(goProbe(), ['fetch', url], { env: base }).trim());
  const py = JSON.parse(runOk(PYTHON, [path.join(SUPPORT_DIR, 'urllib_fetch.py'), url], { env: base }).trim());
  return {
    curl: { ok: curl.status === 0 && curl.stdout === 'registry ok', detail: curl.stderr || curl.stdout },
    go: { ok: go.status === 200 && go.body === 'registry ok', detail: go.error ?? '' },
    python: { ok: py.status === 200 && py.body === 'registry ok', detail: py.error ?? '' },
  };
}

/** Static test credentials and no shared config: the AWS clients sign and send, nothing else. */
const AWS_TEST_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'test-secret',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
  // One attempt: a certificate error is final, retrying only waits.
  AWS_MAX_ATTEMPTS: '1',
};
const STS_ARN = 'arn:aws:iam::123456789012:role/registry-ok';

/**
 * The AWS clients of the kubectl handler through the proxy, with `env` (plus the proxy variables): botocore
 * (under the handler's boto3) and the AWS CLI (`aws eks get-token` in the kubeconfig), Debian's packages.
 */
function awsClients(env: Record<string, string>): Record<string, Outcome> {
  const base = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: work,
    HTTPS_PROXY: proxyUrl,
    https_proxy: proxyUrl,
    ...AWS_TEST_ENV,
    ...env,
  };
  const endpoint = url.replace(/\/v2\/$/, '');
  const boto = JSON.parse(runOk(PYTHON, [path.join(SUPPORT_DIR, 'botocore_call.py'), endpoint], { env: base }).trim());
  const cli = run(
    AWS_CLI,
    ['sts', 'get-caller-identity', '--region', 'us-east-1', '--endpoint-url', endpoint, '--output', 'json'],
    { env: base },
  );
  const cliArn = cli.status === 0 ? (JSON.parse(cli.stdout) as { Arn?: string }).Arn : undefined;
  return {
    botocore: { ok: boto.arn === STS_ARN, detail: boto.error ?? '' },
    'aws-cli': { ok: cliArn === STS_ARN, detail: cli.stderr || cli.stdout },
  };
}

function expectTrusted(outcomes: Record<string, Outcome>): void {
  for (const [client, o] of Object.entries(outcomes)) {
    expect({ client, ...o }).toEqual({ client, ok: true, detail: o.ok ? o.detail : '(trusted)' });
  }
}

function expectCertificateError(outcomes: Record<string, Outcome>): void {
  for (const [client, o] of Object.entries(outcomes)) {
    expect({ client, ok: o.ok }).toEqual({ client, ok: false });
    expect(o.detail).toMatch(/certificate|x509|SSL/i);
  }
}

describe('Amazon Linux nodes: the CA boothook in the sandboxed boot', () => {
  // update-ca-trust's TLS step as Amazon Linux's script (Fedora's ca-certificates package) runs it, with
  // the real p11-kit (Debian's `trust`): the trust module reads /etc/pki/ca-trust/source (anchors/ holds
  // CAs trusted for every purpose) and the shipped roots, and the server-auth anchors are extracted as one
  // PEM bundle. Fedora's script: https://src.fedoraproject.org/rpms/ca-certificates/blob/3e2443900394/f/update-ca-trust
  // (the same lines in msys2/MINGW-packages mingw-w64-ca-certificates/update-ca-trust). Stand-ins: the
  // shipped roots are Debian's bundle (Amazon Linux: /usr/share/pki/ca-trust-source), set as the module's
  // paths in the sandbox's private /etc; the script's other formats (Java, email, code signing) are left out.
  const updateCaTrust = [
    '#!/bin/bash',
    'set -euo pipefail',
    'printf \'%s\\n\' "update-ca-trust $*" >>"${CALLS_LOG:?}"',
    'mkdir -p /etc/pkcs11/modules /etc/pki/ca-trust/extracted/pem',
    `sed 's|^x-init-reserved:.*|x-init-reserved: paths=/etc/pki/ca-trust/source:${SYSTEM_BUNDLE}|' /usr/share/p11-kit/modules/p11-kit-trust.module >/etc/pkcs11/modules/p11-kit-trust.module`,
    `P11_KIT_NO_USER_CONFIG=1 trust extract --format=pem-bundle --filter=ca-anchors --overwrite --comment --purpose server-auth ${EXTRACTED}`,
    '',
  ].join('\n');
  let result: SandboxResult;
  let extracted: string;

  beforeAll(() => {
    result = runBoothookInSandbox(renderCaTrustBoothook(proxyCaPem, ['amazon-ssm-agent']), 2, [], undefined, {
      extraStubs: { 'update-ca-trust': updateCaTrust },
    });
    extracted = path.join(work, 'node-ca-bundle.crt');
    fs.writeFileSync(extracted, result.runs[1].files[EXTRACTED.replace(/^\/etc\//, '')] ?? '');
  }, 200_000);

  test('first boot: the anchor holds the exact bundle (0644); update-ca-trust extract and the SSM agent restart run once', () => {
    const run1 = result.runs[1];
    expect(run1.rc).toBe(0);
    const anchor = CA_ANCHOR.replace(/^\/etc\//, '');
    expect(run1.files[anchor]).toBe(proxyCaPem);
    expect(run1.stat[anchor].mode).toBe('644');
    expect(run1.calls).toEqual([
      'update-ca-trust extract',
      'systemctl try-restart --no-block amazon-ssm-agent.service',
    ]);
    expect(run1.tmpLeft).toEqual([]);
  });

  test('second boot: nothing changes, nothing runs', () => {
    const [, run1, run2] = result.runs;
    expect(run2.rc).toBe(0);
    expect(run2.calls).toEqual([]);
    expect(run2.stat).toEqual(run1.stat);
  });

  test('the extracted store (real p11-kit) holds every shipped root and the bundle, nothing else', () => {
    const store = pemBodies(fs.readFileSync(extracted, 'utf8'));
    const want = [...pemBodies(fs.readFileSync(SYSTEM_BUNDLE, 'utf8')), ...pemBodies(proxyCaPem)];
    expect(store.length).toBe(want.length);
    expect(new Set(store)).toEqual(new Set(want));
  });

  test('curl, Go and Python trust the inspecting proxy with the extracted store', () => {
    expectTrusted(clients({ SSL_CERT_FILE: extracted }, extracted));
  });

  test('broken variant: with the shipped roots only, each fails with a certificate error', () => {
    expectCertificateError(clients({ SSL_CERT_FILE: SYSTEM_BUNDLE }, SYSTEM_BUNDLE));
  });
});

describe('the kubectl handler environment', () => {
  test('curl, Go and Python trust the inspecting proxy with the layer file and its variables', () => {
    const file = path.join(work, 'layer-ca-bundle.pem');
    fs.writeFileSync(file, combinedBundle(rootCertificates, proxyCaPem));
    const env = caBundleEnvironment(file);
    expectTrusted(clients(env, env.SSL_CERT_FILE));
  });

  test('botocore and the AWS CLI trust the inspecting proxy through AWS_CA_BUNDLE', () => {
    const file = path.join(work, 'layer-ca-bundle.pem');
    fs.writeFileSync(file, combinedBundle(rootCertificates, proxyCaPem));
    expectTrusted(awsClients(caBundleEnvironment(file)));
  });

  test('broken variant: botocore and the AWS CLI with the public roots only fail with a certificate error', () => {
    const file = path.join(work, 'roots-only.pem');
    fs.writeFileSync(file, combinedBundle(rootCertificates, ''));
    expectCertificateError(awsClients(caBundleEnvironment(file)));
  });

  test('broken variant: the file without the bundle (public roots only) fails with a certificate error', () => {
    const file = path.join(work, 'roots-only.pem');
    fs.writeFileSync(file, combinedBundle(rootCertificates, ''));
    const env = caBundleEnvironment(file);
    expectCertificateError(clients(env, env.SSL_CERT_FILE));
  });
});

describe('the pod environment of the patched DaemonSets (Go)', () => {
  function goThroughProxy(certDir: string): Outcome {
    const mounted = path.join(work, 'mount');
    fs.mkdirSync(mounted, { recursive: true });
    fs.writeFileSync(path.join(mounted, CA_BUNDLE_KEY), proxyCaPem);
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HTTPS_PROXY: proxyUrl,
      SSL_CERT_DIR: certDir.replace(CA_MOUNT_PATH, mounted),
    };
    const go = JSON.parse(runOk(goProbe(), ['fetch', url], { env }).trim());
    return { ok: go.status === 200 && go.body === 'registry ok', detail: go.error ?? '' };
  }

  test("SSL_CERT_DIR with the ConfigMap's file: Go trusts the inspecting proxy", () => {
    expect(goThroughProxy(CA_CERT_DIR)).toEqual({ ok: true, detail: '' });
  });

  test('broken variant: SSL_CERT_DIR without our directory fails with a certificate error', () => {
    const r = goThroughProxy(CA_CERT_DIR.split(':').slice(1).join(':'));
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/x509|certificate/);
  });
});

describe('the interception itself', () => {
  test("Squid bumped the clients' connections: its access log holds the decrypted requests", () => {
    const log = squid!.accessLog();
    const origin = url.replace(/\/v2\/$/, '');
    expect(log).toContain(`GET ${origin}/v2/`);
    expect(log).toContain(`POST ${origin}/`);
  });
});
