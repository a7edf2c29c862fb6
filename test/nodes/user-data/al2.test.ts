import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { NodeFamily, PrivateEksCluster, ProxySettings } from '../../../lib';
import { PrivateEksValidationError } from '../../../lib/errors';
import { DROP_IN_NAME } from '../../../lib/nodes/user-data/boothook';
import { AL2, AL2_BOOTSTRAP, renderBootstrapScript, shellQuote } from '../../../lib/nodes/user-data/al2';
import { NodeBootstrapInput, UserDataPart } from '../../../lib/nodes/user-data/family';
import { fakeKubectlLayer, isolatedVpc, testStack } from '../../support/cdk';
import { al2Parts, cluster, kubelet, proxy, signal } from '../../support/al2-inputs';
import { mimeParts } from '../../support/mime';

const BOOTHOOK = 'text/cloud-boothook; charset="us-ascii"';
const SHELL = 'text/x-shellscript; charset="us-ascii"';

function bootstrapPart(input: NodeBootstrapInput): UserDataPart | undefined {
  return al2Parts(input).find((p) => p.body.includes(AL2_BOOTSTRAP));
}

describe('AL2 renderer', () => {
  test('managed nodes on the EKS AMI get the boothook only: EKS appends its own bootstrap call', () => {
    const p = al2Parts({ proxy });
    expect(p.map((x) => x.contentType)).toEqual([BOOTHOOK]);
    expect(p[0].body).not.toContain(AL2_BOOTSTRAP);
  });

  test('the boothook proxies yum through /etc/yum.conf and writes drop-ins for docker, containerd and kubelet', () => {
    const body = al2Parts({ proxy })[0].body;
    expect(body.startsWith('#!/bin/bash\n')).toBe(true);
    expect(body).toContain('if [ -f /etc/yum.conf ]; then');
    expect(body).toContain("CDK_PRIVATE_EKS_PROXY='http://proxy.corp.example:3128' awk '");
    expect(body).not.toContain('dnf');
    const loop = /^for unit in (.*); do$/m.exec(body)![1].split(' ');
    expect(loop).toEqual(expect.arrayContaining(['docker', 'containerd', 'kubelet', 'amazon-ssm-agent']));
    expect(body).toContain(`/etc/systemd/system/$unit.service.d/${DROP_IN_NAME}`);
    expect(body).toContain('amazon-ssm-agent.service) systemctl try-restart --no-block "$unit" ;;');
    expect(body).not.toMatch(/(docker|containerd|kubelet)\.service\) systemctl/);
  });

  test('a node that joins without the EKS API gets boothook, then a bootstrap.sh part', () => {
    const p = al2Parts({ proxy, cluster });
    expect(p.map((x) => x.contentType)).toEqual([BOOTHOOK, SHELL]);
    expect(p[1].body).toContain(AL2_BOOTSTRAP);
  });

  test('the bootstrap part passes each flag once, single-quoted, and the cluster name first', () => {
    const body = bootstrapPart({ cluster })!.body;
    expect(body.startsWith('#!/bin/bash\n')).toBe(true);
    expect(body).toContain(`${AL2_BOOTSTRAP} '\${Token[TOKEN.101]}' \\\n`);
    for (const [flag, value] of [
      ['--apiserver-endpoint', cluster.endpoint],
      ['--b64-cluster-ca', cluster.certificateAuthority],
      ['--dns-cluster-ip', cluster.dnsClusterIp],
    ]) {
      expect(body.split(flag).length - 1).toBe(1);
      expect(body).toContain(`${flag} '${value}'`);
    }
    // No token marker inside double quotes, where bash would expand it.
    expect(body).not.toMatch(/"[^"\n]*\$\{Token\[/);
    expect(body).not.toContain('--container-runtime');
    expect(body).not.toContain('--service-ipv4-cidr');
    expect(body).not.toContain('--kubelet-extra-args');
  });

  test('the bootstrap part sources /etc/environment with set -a before bootstrap.sh', () => {
    const body = bootstrapPart({ cluster })!.body;
    const setA = body.indexOf('set -a');
    const source = body.indexOf('. /etc/environment');
    expect(setA).toBeGreaterThan(0);
    expect(source).toBeGreaterThan(setA);
    expect(body.indexOf(AL2_BOOTSTRAP)).toBeGreaterThan(source);
  });

  test('labels and taints go to --kubelet-extra-args as one quoted word', () => {
    const body = bootstrapPart({ cluster, kubelet })!.body;
    expect(body).toContain(
      "--kubelet-extra-args '--node-labels=role=worker,example.com/tier=a --register-with-taints=dedicated=x:NoSchedule'",
    );
    expect(body.split('--kubelet-extra-args').length - 1).toBe(1);
  });

  test('the signal part is present only when asked, after the bootstrap part, waiting for kubelet', () => {
    expect(al2Parts({ proxy, cluster }).some((p) => p.body.includes('cfn-signal'))).toBe(false);
    const p = al2Parts({ proxy, cluster, signal });
    expect(p.map((x) => x.contentType)).toEqual([BOOTHOOK, SHELL, SHELL]);
    expect(p[2].body).toContain('/opt/aws/bin/cfn-signal');
    expect(p[2].body).toContain('After=kubelet.service');
    expect(p[2].body).not.toContain('nodeadm');
  });

  test('no proxy, no cluster: nothing to render', () => {
    expect(al2Parts({})).toEqual([]);
  });

  test('shellQuote cannot be broken out of', () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
    expect(shellQuote('${Token[TOKEN.1]}')).toBe("'${Token[TOKEN.1]}'");
  });

  test('bash passes every value to bootstrap.sh verbatim', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al2-'));
    try {
      const stub = path.join(dir, 'bootstrap.sh');
      fs.writeFileSync(stub, '#!/bin/bash\nprintf \'%s\\n\' "$@"\n', { mode: 0o755 });
      const tricky = { ...cluster, name: 'it\'s $HOME `id` "x"' };
      const script = renderBootstrapScript(tricky, kubelet).replace(AL2_BOOTSTRAP, stub);
      const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout.split('\n').slice(0, -1)).toEqual([
        tricky.name,
        '--apiserver-endpoint',
        cluster.endpoint,
        '--b64-cluster-ca',
        cluster.certificateAuthority,
        '--dns-cluster-ip',
        cluster.dnsClusterIp,
        '--kubelet-extra-args',
        '--node-labels=role=worker,example.com/tier=a --register-with-taints=dedicated=x:NoSchedule',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('AMI types, SSM parameters, versions and the warning', () => {
    expect(AL2.amiTypes).toEqual({ x86_64: ['AL2_x86_64', 'AL2_x86_64_GPU'], arm64: ['AL2_ARM_64'] });
    expect(AL2.amiParameter('1.32', 'x86_64')).toBe(
      '/aws/service/eks/optimized-ami/1.32/amazon-linux-2/recommended/image_id',
    );
    expect(AL2.amiParameter('1.31', 'arm64')).toBe(
      '/aws/service/eks/optimized-ami/1.31/amazon-linux-2-arm64/recommended/image_id',
    );
    expect(AL2.versionProblem('1.29')).toBeUndefined();
    expect(AL2.versionProblem('1.32')).toBeUndefined();
    expect(AL2.versionProblem('1.33')).toMatch(/1\.32 is the last/);
    expect(AL2.versionProblem('1.36')).toMatch(/Kubernetes 1\.36/);
    expect(AL2.warning('1.32')).toMatch(/end of support on 2025-11-26.*NodeFamily\.AMAZON_LINUX_2023/);
    expect(AL2.warning('1.29')).toMatch(/2025-11-26/);
    expect(AL2.inputProblem({ proxy, cluster })).toBeUndefined();
  });
});

function setup(version: eks.KubernetesVersion) {
  const stack = testStack('us-east-1');
  const vpc = isolatedVpc(stack);
  const privateCluster = new PrivateEksCluster(stack, 'Cluster', {
    vpc,
    version,
    kubectlLayer: fakeKubectlLayer(stack),
    proxy: ProxySettings.fromUrl('http://proxy.corp.example:3128'),
  });
  return { stack, cluster: privateCluster };
}

describe('NodeFamily.AMAZON_LINUX_2 node groups', () => {
  test('on 1.32: AmiType AL2_x86_64, a boothook for yum, and a warning about the end of support', () => {
    const { stack, cluster: c } = setup(eks.KubernetesVersion.V1_32);
    const group = c.addProxiedNodeGroup('Al2', { family: NodeFamily.AMAZON_LINUX_2 });
    expect(group.family.name).toBe('AL2');
    Template.fromStack(stack).hasResourceProperties('AWS::EKS::Nodegroup', { AmiType: 'AL2_x86_64' });
    const p = mimeParts(group.userData!.render());
    expect(p.map((x) => x.contentType)).toEqual([BOOTHOOK]);
    expect(p[0].body).toContain('/etc/yum.conf');
    Annotations.fromStack(stack).hasWarning(
      '/Test/Cluster/Al2',
      Match.stringLikeRegexp('2025-11-26.*NodeFamily.AMAZON_LINUX_2023'),
    );
  });

  test('Graviton instance types get AL2_ARM_64', () => {
    const { stack, cluster: c } = setup(eks.KubernetesVersion.V1_32);
    c.addProxiedNodeGroup('Al2', {
      family: NodeFamily.AMAZON_LINUX_2,
      instanceTypes: [new ec2.InstanceType('m7g.large')],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::EKS::Nodegroup', { AmiType: 'AL2_ARM_64' });
  });

  test('an AL2023 AMI type is rejected for the AL2 family', () => {
    const { cluster: c } = setup(eks.KubernetesVersion.V1_32);
    expect(() =>
      c.addProxiedNodeGroup('Al2', {
        family: NodeFamily.AMAZON_LINUX_2,
        amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      }),
    ).toThrow(/not an AMI type of the AL2 node family/);
  });

  test('on a pinned AMI the nodes call bootstrap.sh with the cluster attributes', () => {
    const { stack, cluster: c } = setup(eks.KubernetesVersion.V1_32);
    const group = c.addProxiedNodeGroup('Al2', {
      family: NodeFamily.AMAZON_LINUX_2,
      machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }),
    });
    const p = mimeParts(group.userData!.render());
    expect(p.map((x) => x.contentType)).toEqual([BOOTHOOK, SHELL]);
    const resolved = JSON.stringify(stack.resolve(p[1].body));
    expect(resolved).toContain(AL2_BOOTSTRAP);
    expect(resolved).toMatch(/bootstrap\.sh '",\{"Ref":"Cluster[0-9A-Za-z]+"\},"' /);
    expect(resolved).toMatch(/--apiserver-endpoint '",\{"Fn::GetAtt":\["Cluster[0-9A-Za-z]+","Endpoint"\]\},"'/);
    expect(resolved).toMatch(
      /--b64-cluster-ca '",\{"Fn::GetAtt":\["Cluster[0-9A-Za-z]+","CertificateAuthorityData"\]\},"'/,
    );
    expect(resolved).toContain("--dns-cluster-ip '172.20.0.10'");
  });

  test('on 1.33 it throws a PrivateEksValidationError naming family', () => {
    const { cluster: c } = setup(eks.KubernetesVersion.V1_33);
    let caught: unknown;
    try {
      c.addProxiedNodeGroup('Al2', { family: NodeFamily.AMAZON_LINUX_2 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PrivateEksValidationError);
    expect((caught as PrivateEksValidationError).prop).toBe('family');
    expect((caught as Error).message).toMatch(/^Test\/Cluster\/Al2: family .*Kubernetes 1\.33.*1\.32 is the last/);
  });
});
