import * as fs from 'fs';
import * as path from 'path';
import { Match } from 'aws-cdk-lib/assertions';
import { masked } from './support/cdk';
import { EXAMPLE_APPS } from './support/example-apps';
import { EXAMPLES, exampleTemplate } from './support/examples';

/** Examples whose nodes are EKS Auto Mode's (no launch template of ours; the Auto Mode node role). */
const AUTO_MODE = new Set(['auto-mode']);

describe.each(Object.keys(EXAMPLES))('example %s', (name) => {
  test('matches its snapshot (asset hashes masked)', () => {
    expect(masked(exampleTemplate(name).toJSON())).toMatchSnapshot();
  });

  test('has a private-only cluster, and every launch template requires IMDSv2 with hop limit 1 and encrypts every volume', () => {
    const template = exampleTemplate(name);
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false }),
    });
    const launchTemplates = Object.values(template.findResources('AWS::EC2::LaunchTemplate')) as any[];
    // Auto Mode nodes are launched by EKS from the NodeClass: no launch template of ours.
    expect(launchTemplates.length > 0).toBe(!AUTO_MODE.has(name));
    for (const lt of launchTemplates) {
      const data = lt.Properties.LaunchTemplateData;
      // Hop limit 1 on nodes and egress proxies alike: pods without host networking cannot take the instance role.
      expect(data.MetadataOptions).toEqual({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
      expect(data.BlockDeviceMappings.length).toBeGreaterThan(0);
      data.BlockDeviceMappings.forEach((b: any) => expect(b.Ebs).toMatchObject({ Encrypted: true, VolumeType: 'gp3' }));
    }
    const nodegroups = Object.values(template.findResources('AWS::EKS::Nodegroup')) as any[];
    nodegroups.forEach((ng) =>
      expect(ng.Properties.AmiType ?? 'CUSTOM').toMatch(/^(AL2023_|AL2_|BOTTLEROCKET_|CUSTOM)/),
    );
  });

  test('security defaults: control-plane logs, least-privilege node roles, rolling updates that keep capacity', () => {
    const template = exampleTemplate(name);
    template.hasResourceProperties('AWS::EKS::Cluster', {
      Logging: { ClusterLogging: { EnabledTypes: [{ Type: 'api' }, { Type: 'audit' }, { Type: 'authenticator' }] } },
    });
    const resources = template.toJSON().Resources;
    const policiesOf = (role: any): string[] =>
      (role.Properties.ManagedPolicyArns ?? []).map((a: any) => JSON.stringify(a).match(/policy\/([\w-]+)/)![1]);
    const nodePolicy = AUTO_MODE.has(name) ? 'AmazonEKSWorkerNodeMinimalPolicy' : 'AmazonEKSWorkerNodePolicy';
    const nodeRoles = Object.values(resources).filter(
      (r: any) => r.Type === 'AWS::IAM::Role' && policiesOf(r).includes(nodePolicy),
    );
    expect(nodeRoles.length).toBeGreaterThan(0);
    nodeRoles.forEach((r: any) =>
      expect(policiesOf(r)).toEqual(
        AUTO_MODE.has(name)
          ? // EKS user guide, Auto Mode node role (compute_node_role.yaml)
            ['AmazonEKSWorkerNodeMinimalPolicy', 'AmazonEC2ContainerRegistryPullOnly']
          : ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryPullOnly'],
      ),
    );
    for (const group of Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup')) as any[]) {
      const inService = group.UpdatePolicy.AutoScalingRollingUpdate.MinInstancesInService;
      expect(inService).toBeGreaterThanOrEqual(1);
      expect(inService).toBeLessThan(Number(group.Properties.MaxSize));
    }
  });
});

test('the China example uses China service names and the amazonaws.com.cn suffix', () => {
  const template = exampleTemplate('china-region');
  template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'cn.com.amazonaws.cn-northwest-1.ecr.api' });
  const handler = template.findResources('AWS::Lambda::Function', {
    Properties: {
      Environment: {
        Variables: Match.objectLike({ NO_PROXY: Match.stringLikeRegexp('api.ecr.cn-northwest-1.amazonaws.com.cn') }),
      },
    },
  });
  expect(Object.keys(handler)).toHaveLength(1);
});

test('the node-families examples have every family, managed and self-managed', () => {
  const amiTypes = (name: string) =>
    (Object.values(exampleTemplate(name).findResources('AWS::EKS::Nodegroup')) as any[]).map(
      (n) => n.Properties.AmiType,
    );
  expect(amiTypes('node-families')).toEqual(['AL2023_x86_64_STANDARD', 'BOTTLEROCKET_ARM_64', undefined]);
  expect(amiTypes('node-families-al2')).toEqual(['AL2_x86_64']);
  exampleTemplate('node-families').resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 2);
  exampleTemplate('node-families-al2').resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 1);
  exampleTemplate('node-families').resourcePropertiesCountIs('AWS::EKS::AccessEntry', { Type: 'EC2_LINUX' }, 2);
});

test('the closed-network example has no proxy anywhere', () => {
  const text = JSON.stringify(exampleTemplate('closed-network').toJSON());
  expect(text).not.toMatch(/HTTPS?_PROXY/);
  exampleTemplate('closed-network').resourceCountIs('Custom::AWSCDK-EKS-KubernetesPatch', 0);
});

describe('the example registry (test/support/example-apps.ts)', () => {
  const examplesDir = path.join(__dirname, '..', 'examples');

  test('names every folder under examples/, each with its own cdk.json', () => {
    const folders = fs.readdirSync(examplesDir).filter((f) => fs.statSync(path.join(examplesDir, f)).isDirectory());
    expect([...new Set(EXAMPLE_APPS.map((e) => e.folder))].sort()).toEqual(folders.sort());
    for (const f of folders) {
      expect(fs.existsSync(path.join(examplesDir, f, 'cdk.json'))).toBe(true);
    }
  });

  test.each([...new Set(EXAMPLE_APPS.map((e) => e.folder))])(
    "examples/%s/app.ts creates exactly the registry's stacks, under the same ids",
    (folder) => {
      const source = fs.readFileSync(path.join(examplesDir, folder, 'app.ts'), 'utf8');
      const main = source.slice(source.indexOf('if (require.main === module)'));
      const created = [...main.matchAll(/new \w+Stack\(app, '([^']+)'/g)].map((m) => m[1]);
      expect(created.sort()).toEqual(
        EXAMPLE_APPS.filter((e) => e.folder === folder)
          .map((e) => e.stackId)
          .sort(),
      );
    },
  );
});
