import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Fn, SecretValue, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { EndpointPresets, NodeFamily, PrivateEksCluster, ProxyCredentials, ProxySettings } from '../../lib';
import { PrivateEksValidationError } from '../../lib/errors';
import { PROXY_AUTH_PLACEHOLDER } from '../../lib/nodes/user-data/boothook';
import { credentialsLayerDir } from '../../lib/credentials/assets';
import { fakeKubectlLayer, isolatedVpc, testApp, testStack } from '../support/cdk';
import { python3 } from '../support/python';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:corp/proxy-AbCdEf';
/** What the secret would hold in Secrets Manager: never known to the app. */
const USER = 'svc-eks';
const PASSWORD = 'S3cr3t%Pa$$:word@';

function build(secretOf: (stack: Stack) => secretsmanager.ISecret, services = EndpointPresets.withProxyCredentials()) {
  const app = testApp();
  const stack = new Stack(app, 'Test', { env: { account: '111122223333', region: 'us-east-1' } });
  const cluster = new PrivateEksCluster(stack, 'Cluster', {
    vpc: isolatedVpc(stack),
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', {
      credentials: ProxyCredentials.fromSecret(secretOf(stack)),
    }),
    endpointServices: services,
  });
  return { app, stack, cluster };
}

/** A role (by logical id pattern) may read the proxy secret: GetSecretValue and DescribeSecret on its ARN. */
function expectReadsTheSecret(template: Template, roleLogicalId: string): void {
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: SECRET_ARN,
        }),
      ]),
    },
    Roles: Match.arrayWith([{ Ref: Match.stringLikeRegexp(roleLogicalId) }]),
  });
}

const imported = (stack: Stack) => secretsmanager.Secret.fromSecretCompleteArn(stack, 'ProxySecret', SECRET_ARN);

describe('an authenticating proxy', () => {
  const { app, stack, cluster } = build(imported);
  const group = cluster.addProxiedNodeGroup('Workers', { instanceTypes: [new ec2.InstanceType('m7i.large')] });
  const template = Template.fromStack(stack);
  const outdir = app.synth().directory;

  test('the kubectl handler reads the secret at cold start through the exec wrapper layer', () => {
    const handlers = template.findResources('AWS::Lambda::Function', {
      Properties: {
        Environment: {
          Variables: Match.objectLike({ AWS_LAMBDA_EXEC_WRAPPER: '/opt/cdk-private-eks/proxy-credentials-wrapper' }),
        },
      },
    });
    const handler = Object.values(handlers)[0] as any;
    expect(handler.Properties.Environment.Variables).toMatchObject({
      CDK_PRIVATE_EKS_PROXY_SECRET_ARN: SECRET_ARN,
      HTTPS_PROXY: 'http://proxy.corp.example:3128',
    });
    expect(handler.Properties.Layers).toHaveLength(3);
    expectReadsTheSecret(template, 'KubectlProviderHandlerServiceRole');
  });

  test('pods get the credentials from a Kubernetes Secret written at deploy time, after the ConfigMap', () => {
    // The writer's configuration (its access entry and Role: writer-rbac.test.ts; its handler: secret-writer.test.ts).
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          CDK_PRIVATE_EKS_PROXY_SECRET_ARN: SECRET_ARN,
          CDK_PRIVATE_EKS_SECRET_NAMESPACE: 'kube-system',
          CDK_PRIVATE_EKS_SECRET_NAME: 'proxy-environment-credentials',
          CDK_PRIVATE_EKS_SECRET_HTTP_PROXY: 'http://proxy.corp.example:3128',
        }),
      },
    });
    const patches = Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesPatch')) as any[];
    for (const patch of patches) {
      const containers = JSON.parse(patch.Properties.ApplyPatchJson).spec.template.spec.containers;
      containers.forEach((c: any) =>
        expect(c.envFrom).toEqual([
          { configMapRef: { name: 'proxy-environment-variables' } },
          { secretRef: { name: 'proxy-environment-credentials' } },
        ]),
      );
      expect(patch.DependsOn.some((d: string) => d.startsWith('ClusterProxyCredentials'))).toBe(true);
    }
  });

  test('nodes read the secret at boot into root-only files, and the node role may read that secret only', () => {
    const text = JSON.stringify(stack.resolve(group.userData!.render()));
    expect(text).toContain(`secret_arn='${SECRET_ARN}'`);
    expect(text).toContain('aws secretsmanager get-secret-value --region \\"$region\\" --secret-id \\"$secret_arn\\"');
    expect(text).toContain(`HTTPS_PROXY=http://${PROXY_AUTH_PLACEHOLDER}@proxy.corp.example:3128`);
    expect(text).toContain('replace_file /etc/environment 0600');
    expect(text).toContain('cdk-private-eks-proxy.conf\\" 0600');
    // nodeadm's NodeConfig is in the user data: no placeholder, no credentials.
    const nodeConfig = text.slice(text.indexOf('kind: NodeConfig'));
    expect(nodeConfig).not.toContain(PROXY_AUTH_PLACEHOLDER);
    expectReadsTheSecret(template, 'WorkersNodeRole');
  });

  test('no credential value is anywhere in cdk.out', () => {
    const files: string[] = [];
    const walk = (dir: string) =>
      fs.readdirSync(dir, { withFileTypes: true }).forEach((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else files.push(p);
      });
    walk(outdir);
    expect(files.length).toBeGreaterThan(2);
    for (const file of files) {
      const content = fs.readFileSync(file, 'latin1');
      for (const value of [PASSWORD, encodeURIComponent(PASSWORD), 'S3cr3t']) {
        expect(content.includes(value)).toBe(false);
      }
    }
  });
});

describe('the exec wrapper, run by the real Python', () => {
  test('puts URL-encoded credentials into the proxy URLs of the runtime it execs, and prints nothing', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wrapper-'));
    // A stand-in boto3 that returns what Secrets Manager would.
    fs.mkdirSync(path.join(tmp, 'boto3'));
    fs.writeFileSync(
      path.join(tmp, 'boto3', '__init__.py'),
      [
        'import json, os',
        'class _Client:',
        '    def get_secret_value(self, SecretId):',
        `        assert SecretId == ${JSON.stringify(SECRET_ARN)}`,
        `        return {"SecretString": json.dumps({"username": ${JSON.stringify(USER)}, "password": ${JSON.stringify(PASSWORD)}})}`,
        'def client(name, config=None):',
        '    assert name == "secretsmanager"',
        "    # The wrapper runs in Lambda's 10 s init phase: every attempt must be short.",
        '    kw = config.kw',
        '    assert kw["retries"]["max_attempts"] * (kw["connect_timeout"] + kw["read_timeout"]) < 20, kw',
        '    return _Client()',
      ].join('\n'),
    );
    fs.mkdirSync(path.join(tmp, 'botocore'));
    fs.writeFileSync(path.join(tmp, 'botocore', '__init__.py'), '');
    fs.writeFileSync(
      path.join(tmp, 'botocore', 'config.py'),
      ['class Config:', '    def __init__(self, **kw):', '        self.kw = kw'].join('\n'),
    );
    const runtime = path.join(tmp, 'runtime');
    fs.writeFileSync(runtime, '#!/bin/sh\nenv | grep -i -E "^(https?|no)_proxy=" | sort\n', { mode: 0o755 });
    const out = execFileSync(
      python3(),
      [path.join(credentialsLayerDir(), 'cdk-private-eks', 'proxy-credentials-wrapper'), runtime],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          PYTHONPATH: tmp,
          PYTHONDONTWRITEBYTECODE: '1',
          CDK_PRIVATE_EKS_PROXY_SECRET_ARN: SECRET_ARN,
          HTTP_PROXY: 'http://proxy.corp.example:3128',
          HTTPS_PROXY: 'http://proxy.corp.example:3128',
          http_proxy: 'http://proxy.corp.example:3128',
          https_proxy: 'http://proxy.corp.example:3128',
          NO_PROXY: 'localhost,.eks.amazonaws.com',
        },
      },
    );
    fs.rmSync(tmp, { recursive: true });
    const auth = `${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}`;
    expect(out.trim().split('\n')).toEqual([
      `HTTPS_PROXY=http://${auth}@proxy.corp.example:3128`,
      `HTTP_PROXY=http://${auth}@proxy.corp.example:3128`,
      'NO_PROXY=localhost,.eks.amazonaws.com',
      `http_proxy=http://${auth}@proxy.corp.example:3128`,
      `https_proxy=http://${auth}@proxy.corp.example:3128`,
    ]);
    // The URL parser of the clients reads back the exact credentials.
    const url = new URL(`http://${auth}@proxy.corp.example:3128`);
    expect(decodeURIComponent(url.password)).toBe(PASSWORD);
  });

  test('the wrapper is executable, as Lambda requires', () => {
    const mode = fs.statSync(path.join(credentialsLayerDir(), 'cdk-private-eks', 'proxy-credentials-wrapper')).mode;
    expect(mode & 0o111).not.toBe(0);
  });
});

test('a new revision rewrites the Kubernetes Secret and rolls the pods', () => {
  const stackFor = (revision?: string) => {
    const stack = testStack('us-east-1');
    new PrivateEksCluster(stack, 'Cluster', {
      vpc: isolatedVpc(stack),
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: fakeKubectlLayer(stack),
      proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', {
        credentials: ProxyCredentials.fromSecret(imported(stack), { revision }),
      }),
      endpointServices: EndpointPresets.withProxyCredentials(),
    });
    const t = Template.fromStack(stack);
    const patch = Object.values(t.findResources('Custom::AWSCDK-EKS-KubernetesPatch'))[0] as any;
    const cr = Object.values(t.findResources('Custom::CdkPrivateEksProxyCredentials'))[0] as any;
    return {
      hash: JSON.parse(patch.Properties.ApplyPatchJson).spec.template.metadata.annotations[
        'cdk-private-eks.io/proxy-settings-hash'
      ],
      revision: cr.Properties.Revision,
    };
  };
  const a = stackFor('2026-11'),
    b = stackFor('2026-12');
  expect(a.revision).toBe('2026-11');
  expect(b.revision).toBe('2026-12');
  expect(a.hash).not.toBe(b.hash);
  expect(stackFor('2026-11').hash).toBe(a.hash);
});

describe('credentials checks', () => {
  test.each(['usernameKey', 'passwordKey'])(
    'a token %s is refused naming it: the nodes would use it in a command',
    (prop) => {
      const secret = secretsmanager.Secret.fromSecretCompleteArn(
        testStack(),
        'S',
        'arn:aws:secretsmanager:us-east-1:111122223333:secret:corp/proxy-AbCdEf',
      );
      let error: any;
      try {
        ProxyCredentials.fromSecret(secret, { [prop]: Fn.importValue('ProxyKey') });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PrivateEksValidationError);
      expect(error.prop).toBe(prop);
      expect(error.message).toMatch(/is a token .*literal string/);
    },
  );

  test('a secret whose value is written into the template fails the build, without echoing it', () => {
    let error: any;
    try {
      build(
        (stack) =>
          new secretsmanager.Secret(stack, 'ProxySecret', {
            secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ username: USER, password: PASSWORD })),
          }),
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PrivateEksValidationError);
    expect(error.prop).toBe('proxy.credentials');
    expect(error.message).toMatch(/plain text.*generateSecretString/);
    expect(error.message).not.toContain('S3cr3t');
  });

  test('a generated secret or a dynamic reference is fine', () => {
    expect(() =>
      build(
        (stack) =>
          new secretsmanager.Secret(stack, 'ProxySecret', {
            generateSecretString: {
              secretStringTemplate: JSON.stringify({ username: USER }),
              generateStringKey: 'password',
            },
          }),
      ),
    ).not.toThrow();
    expect(() =>
      build(
        (stack) =>
          new secretsmanager.Secret(stack, 'ProxySecret', {
            secretStringValue: SecretValue.secretsManager('arn:aws:secretsmanager:us-east-1:111122223333:secret:other'),
          }),
      ),
    ).not.toThrow();
  });

  test('a cluster that makes its own endpoints adds Secrets Manager, and no KMS even for a customer key', () => {
    const names = (secretOf: (stack: Stack) => secretsmanager.ISecret) => {
      const stack = testStack('us-east-1');
      const cluster = new PrivateEksCluster(stack, 'Cluster', {
        vpc: isolatedVpc(stack),
        version: eks.KubernetesVersion.V1_35,
        kubectlLayer: fakeKubectlLayer(stack),
        proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128', {
          credentials: ProxyCredentials.fromSecret(secretOf(stack)),
        }),
      });
      return cluster.endpoints.services.map((s) => s.name);
    };
    expect(names(imported)).toEqual(expect.arrayContaining(['secretsmanager']));
    expect(names(imported)).not.toContain('kms');
    expect(
      names(
        (stack) =>
          new secretsmanager.Secret(stack, 'S', {
            encryptionKey: new kms.Key(stack, 'K', { enableKeyRotation: true }),
          }),
      ),
    ).not.toContain('kms');
  });

  test('the Secrets Manager endpoint is required', () => {
    expect(() => build(imported, EndpointPresets.minimal())).toThrow(
      /secretsmanager.*EndpointPresets.withProxyCredentials/,
    );
  });

  test('Bottlerocket nodes cannot take credentials', () => {
    const { cluster } = build(imported);
    expect(() => cluster.addProxiedNodeGroup('Br', { family: NodeFamily.BOTTLEROCKET })).toThrow(/proxy.credentials/);
  });

  test('a token proxy URL cannot take credentials; fromHost can', () => {
    const secret = secretsmanager.Secret.fromSecretCompleteArn(testStack(), 'S', SECRET_ARN);
    expect(() =>
      ProxySettings.fromUrl(Fn.importValue('Url'), { credentials: ProxyCredentials.fromSecret(secret) }),
    ).toThrow(/fromHost/);
    expect(() =>
      ProxySettings.fromHost(Fn.importValue('Host'), 3128, { credentials: ProxyCredentials.fromSecret(secret) }),
    ).not.toThrow();
  });
});

describe('a secret under an imported KMS key (Key.fromKeyArn)', () => {
  const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000000000000';
  const { stack, cluster } = build((s) =>
    secretsmanager.Secret.fromSecretAttributes(s, 'ProxySecret', {
      secretCompleteArn: SECRET_ARN,
      encryptionKey: kms.Key.fromKeyArn(s, 'ProxyKey', KEY_ARN),
    }),
  );
  const managed = cluster.addProxiedNodeGroup('Workers');
  const selfManaged = cluster.addSelfManagedNodeGroup('Self');
  const template = Template.fromStack(stack);

  /** The logical ids of the roles whose policies allow kms:Decrypt on the key through Secrets Manager only. */
  const decryptors = () =>
    Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) =>
        p.Properties.PolicyDocument.Statement.some(
          (st: any) =>
            st.Action === 'kms:Decrypt' &&
            st.Resource === KEY_ARN &&
            JSON.stringify(st.Condition) ===
              JSON.stringify({
                StringEquals: {
                  'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.us-east-1.', { Ref: 'AWS::URLSuffix' }]] },
                },
              }),
        ),
      )
      .flatMap((p: any) => p.Properties.Roles.map((r: any) => r.Ref));

  test('every reader may decrypt, only through Secrets Manager in the secret region: nodes, kubectl handler, Secret writer', () => {
    const roles = decryptors();
    const id = (c: any) => stack.getLogicalId(c.node.defaultChild);
    expect(roles).toEqual(expect.arrayContaining([id(managed.nodegroup.role), id(selfManaged.role)]));
    expect(roles.some((r) => /KubectlProviderHandler/.test(r))).toBe(true);
    expect(roles.length).toBe(4);
  });

  test('no KMS endpoint: the decrypt goes through Secrets Manager', () => {
    expect(cluster.endpoints.services.map((s) => s.name)).not.toContain('kms');
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.kms' }, 0);
  });
});

test("a key defined in the app is granted through its key policy, not again in the readers' policies", () => {
  const { stack, cluster } = build(
    (s) => new secretsmanager.Secret(s, 'S', { encryptionKey: new kms.Key(s, 'K', { enableKeyRotation: true }) }),
  );
  cluster.addProxiedNodeGroup('Workers');
  const text = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
  expect(text).not.toContain('kms:Decrypt');
  const key = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key'))[0] as any;
  expect(JSON.stringify(key.Properties.KeyPolicy)).toContain('kms:ViaService');
});
