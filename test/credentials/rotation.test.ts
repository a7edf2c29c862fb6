/**
 * Rotating the proxy credentials (`ProxyCredentials.revision`): the same app synthesized with two
 * revisions differs in exactly the resources that hold the credentials, and each of those changes is one
 * that makes its holder read the secret again:
 * - the Secret writer's custom resource (Update: it writes the Kubernetes Secret again);
 * - the aws-node and kube-proxy patches (a new pod-template hash: the DaemonSets roll their pods);
 * - the kubectl handler function (a new configuration: new execution environments, whose cold start reads
 *   the secret);
 * - the launch template of every Amazon Linux node group, managed and self-managed (a new user data
 *   version: the node group, which follows the template's latest version, replaces its nodes, which read
 *   the secret at boot).
 * Nothing else changes. Bottlerocket nodes never hold the credentials (refused with them).
 */
import { CfnParameter, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NodeFamily, ProxyCredentials } from '../../lib';
import { PROXY_REVISION_VARIABLE } from '../../lib/credentials/kubectl-handler';
import { credentialedCluster, TEST_SECRET_ARN } from '../support/credentials';
import { mimeParts } from '../support/mime';
import { testStack } from '../support/cdk';

/** An app with an authenticating proxy, a managed and a self-managed group, and (optionally) AL2 nodes. */
function synth(revision?: string | ((stack: Stack) => string), version = eks.KubernetesVersion.V1_35, al2 = false) {
  const { stack, cluster } = credentialedCluster({ revision, version });
  const family = al2 ? NodeFamily.AMAZON_LINUX_2 : NodeFamily.AMAZON_LINUX_2023;
  const managed = cluster.addProxiedNodeGroup('Workers', { family });
  const selfManaged = cluster.addSelfManagedNodeGroup('Self', { family });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
  const id = (c: any) => stack.getLogicalId(c.node.defaultChild);
  return {
    stack,
    resources,
    managed,
    selfManaged,
    ids: { managed: id(managed.launchTemplate), self: id(selfManaged.launchTemplate) },
  };
}

/** The logical ids whose resource (properties, dependencies, policies) differs between two templates, with their type. */
function changed(a: Record<string, any>, b: Record<string, any>): string[] {
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  return Object.keys(a)
    .filter((id) => JSON.stringify(a[id]) !== JSON.stringify(b[id]))
    .map((id) => `${a[id].Type} ${id}`)
    .sort();
}

function userData(resources: Record<string, any>, launchTemplateId: string): string {
  return JSON.stringify(resources[launchTemplateId].Properties.LaunchTemplateData.UserData);
}

describe('a new revision', () => {
  const before = synth('2026-11');
  const after = synth('2026-12');
  const kubectlHandlerId = Object.keys(before.resources).find(
    (id) => before.resources[id].Properties?.Environment?.Variables?.AWS_LAMBDA_EXEC_WRAPPER,
  )!;

  test('changes exactly the resources that hold the credentials', () => {
    const writerId = Object.keys(before.resources).find(
      (id) => before.resources[id].Type === 'Custom::CdkPrivateEksProxyCredentials',
    )!;
    const patchIds = Object.keys(before.resources).filter(
      (id) => before.resources[id].Type === 'Custom::AWSCDK-EKS-KubernetesPatch',
    );
    expect(patchIds).toHaveLength(2);
    expect(changed(before.resources, after.resources)).toEqual(
      [
        `Custom::CdkPrivateEksProxyCredentials ${writerId}`,
        ...patchIds.map((id) => `Custom::AWSCDK-EKS-KubernetesPatch ${id}`),
        `AWS::Lambda::Function ${kubectlHandlerId}`,
        `AWS::EC2::LaunchTemplate ${before.ids.managed}`,
        `AWS::EC2::LaunchTemplate ${before.ids.self}`,
      ].sort(),
    );
    expect(after.resources[writerId].Properties.Revision).toBe('2026-12');
  });

  test('the kubectl handler: only its revision variable differs', () => {
    const vars = (r: Record<string, any>) => r[kubectlHandlerId].Properties.Environment.Variables;
    const { [PROXY_REVISION_VARIABLE]: a, ...restBefore } = vars(before.resources);
    const { [PROXY_REVISION_VARIABLE]: b, ...restAfter } = vars(after.resources);
    expect([a, b]).toEqual(['2026-11', '2026-12']);
    expect(restAfter).toEqual(restBefore);
  });

  test("the launch templates: only the boothook's revision comment differs (base64 of the revision)", () => {
    for (const id of [before.ids.managed, before.ids.self]) {
      const a = userData(before.resources, id);
      const b = userData(after.resources, id);
      const line = (rev: string) => `# Proxy credentials revision (base64): ${Buffer.from(rev).toString('base64')}.`;
      expect(a).toContain(line('2026-11'));
      expect(b).toContain(line('2026-12'));
      expect(b.replace(line('2026-12'), line('2026-11'))).toBe(a);
    }
  });

  test('each node group follows its launch template, so a new template version replaces its nodes', () => {
    const nodegroup = Object.values(after.resources).find((r) => r.Type === 'AWS::EKS::Nodegroup')!;
    expect(nodegroup.Properties.LaunchTemplate).toEqual({
      Id: { Ref: after.ids.managed },
      Version: { 'Fn::GetAtt': [after.ids.managed, 'LatestVersionNumber'] },
    });
    const asg = Object.values(after.resources).find((r) => r.Type === 'AWS::AutoScaling::AutoScalingGroup')!;
    expect(asg.Properties.LaunchTemplate).toEqual({
      LaunchTemplateId: { Ref: after.ids.self },
      Version: { 'Fn::GetAtt': [after.ids.self, 'LatestVersionNumber'] },
    });
    // A new launch template version is a change of the group's LaunchTemplate: a rolling update.
    expect(asg.UpdatePolicy.AutoScalingRollingUpdate).toBeDefined();
  });
});

test('the same revision synthesizes the same template', () => {
  expect(changed(synth('2026-12').resources, synth('2026-12').resources)).toEqual([]);
});

test('a first revision (none before) changes the same resources', () => {
  const none = synth();
  const first = synth('2026-12');
  expect(changed(none.resources, first.resources).map((c) => c.split(' ')[0])).toEqual(
    [
      'AWS::EC2::LaunchTemplate',
      'AWS::EC2::LaunchTemplate',
      'AWS::Lambda::Function',
      'Custom::AWSCDK-EKS-KubernetesPatch',
      'Custom::AWSCDK-EKS-KubernetesPatch',
      'Custom::CdkPrivateEksProxyCredentials',
    ].sort(),
  );
  expect(userData(none.resources, none.ids.managed)).not.toContain('revision');
});

test('a deploy-time revision (a parameter) reaches the user data through Fn::Base64, never as text', () => {
  const { resources, ids } = synth((stack) => new CfnParameter(stack, 'Rotation').valueAsString);
  for (const id of [ids.managed, ids.self]) {
    expect(userData(resources, id)).toContain(
      '\\n# Proxy credentials revision (base64): ",{"Fn::Base64":{"Ref":"Rotation"}},". A new revision replaces the nodes.\\n',
    );
  }
  const handler = Object.values(resources).find((r) => r.Properties?.Environment?.Variables?.AWS_LAMBDA_EXEC_WRAPPER);
  expect(handler.Properties.Environment.Variables[PROXY_REVISION_VARIABLE]).toEqual({ Ref: 'Rotation' });
});

test('a revision with a line break or shell syntax stays one comment line', () => {
  const revision = "x\nrm -rf / $(id) `id` '";
  const { stack, managed } = synth(revision);
  const boothook = mimeParts(stack.resolve(managed.userData!.render())).find((p) =>
    p.contentType.startsWith('text/cloud-boothook'),
  )!;
  const lines = boothook.body.split('\n').filter((l) => l.includes('revision'));
  expect(lines).toEqual([
    `# Proxy credentials revision (base64): ${Buffer.from(revision).toString('base64')}. A new revision replaces the nodes.`,
  ]);
  expect(boothook.body).not.toContain('rm -rf');
});

test('Amazon Linux 2 nodes carry the revision too', () => {
  const { resources, ids } = synth('2026-12', eks.KubernetesVersion.V1_32, true);
  for (const id of [ids.managed, ids.self]) {
    expect(userData(resources, id)).toContain(`revision (base64): ${Buffer.from('2026-12').toString('base64')}.`);
  }
});

test('a revision that is not text is refused naming revision', () => {
  const secret = secretsmanager.Secret.fromSecretCompleteArn(testStack(), 'S', TEST_SECRET_ARN);
  expect(() => ProxyCredentials.fromSecret(secret, { revision: 7 as unknown as string })).toThrow(
    /revision is not a string \(number\)/,
  );
});
