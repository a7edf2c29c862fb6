/**
 * Karpenter's objects as `examples/karpenter` deploys them, every CloudFormation value resolved for its region:
 * the EC2NodeClasses and the NodePool validate against Karpenter's CRDs (v1.14.1, ajv) and point at what the
 * template creates (the instance profile, the cluster's node subnets and security group, a class that exists);
 * the chart's values name the cluster, its endpoint and the queue, and read a proxy ConfigMap that the template
 * writes into kube-system. Their user data goes through cloud-init, shellcheck, the sandbox, the NO_PROXY
 * resolvers and Bottlerocket's TOML checks with the node groups (support/examples.ts declares them).
 */
import { crdValidator } from '../support/crds';
import { cleanupSynth, clusterOf, deployments, manifests } from './support/examples';
import { resourcesOfType } from './support/intrinsics';

afterAll(() => cleanupSynth());

const validNodeClass = crdValidator('karpenter.k8s.aws_ec2nodeclasses.yaml');
const validNodePool = crdValidator('karpenter.sh_nodepools.yaml');

/** EC2's limit on user data, less the 2 KB the construct keeps for the NodeConfig Karpenter adds. */
const USER_DATA_BUDGET = 16 * 1024 - 2048;

describe.each(deployments((e) => e.key === 'karpenter').map((d) => [d.label, d] as const))('%s', (_label, d) => {
  const objects = manifests(d);
  const nodeClasses = objects.filter((o) => o.kind === 'EC2NodeClass');
  const nodePools = objects.filter((o) => o.kind === 'NodePool');

  test('the EC2NodeClasses and the NodePool are valid for the CRDs, and the pool names a class that exists', () => {
    expect(nodeClasses.map((o) => o.metadata.name)).toEqual(['cdk-private-eks-al2023', 'cdk-private-eks-bottlerocket']);
    nodeClasses.forEach((o) =>
      expect({ name: o.metadata.name, errors: validNodeClass(o) }).toEqual({ name: o.metadata.name, errors: [] }),
    );
    expect(nodePools.length).toBe(1);
    expect(validNodePool(nodePools[0])).toEqual([]);
    expect(nodeClasses.map((o) => o.metadata.name)).toContain(nodePools[0].spec.template.spec.nodeClassRef.name);
  });

  test('each class names the instance profile, the node subnets and the cluster security group of the template', () => {
    const profiles = resourcesOfType(d.template, 'AWS::IAM::InstanceProfile');
    expect(profiles.length).toBe(1);
    const profileName = d.resolver.resolveString({ Ref: profiles[0][0] });
    const subnets = resourcesOfType(d.template, 'AWS::EC2::Subnet').map(([id]) =>
      d.resolver.resolveString({ Ref: id }),
    );
    const cluster = clusterOf(d);
    const clusterSg = d.resolver.resolveString({ 'Fn::GetAtt': [cluster.logicalId, 'ClusterSecurityGroupId'] });
    for (const o of nodeClasses) {
      expect(o.spec.instanceProfile).toBe(profileName);
      expect(o.spec.role).toBeUndefined();
      expect(o.spec.subnetSelectorTerms.map((t: any) => t.id).sort()).toEqual(subnets.sort());
      expect(o.spec.securityGroupSelectorTerms).toEqual([{ id: clusterSg }]);
      expect(Buffer.byteLength(o.spec.userData, 'utf8')).toBeLessThanOrEqual(USER_DATA_BUDGET);
    }
  });

  test('the chart values name the cluster, its endpoint, the queue and the region, and read the kube-system proxy ConfigMap', () => {
    const charts = resourcesOfType(d.template, 'Custom::AWSCDK-EKS-HelmChart');
    expect(charts.map(([, r]) => r.Properties.Release).sort()).toEqual(['karpenter', 'karpenter-crd']);
    const controller = charts.find(([, r]) => r.Properties.Release === 'karpenter')!;
    const values = JSON.parse(d.resolver.resolveString(controller[1].Properties.Values));
    const cluster = clusterOf(d);
    const queues = resourcesOfType(d.template, 'AWS::SQS::Queue');
    expect(values.settings).toEqual({
      clusterName: cluster.name,
      clusterEndpoint: cluster.endpoint,
      isolatedVPC: false,
      interruptionQueue: d.resolver.resolveString({ 'Fn::GetAtt': [queues[0][0], 'QueueName'] }),
    });
    // The region comes from the stack (AWS::Region here): the controller cannot ask IMDS with hop limit 1.
    expect(values.controller.env).toContainEqual({ name: 'AWS_REGION', value: d.region });
    const configMaps = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.namespace === 'kube-system');
    for (const source of values.controller.envFrom) {
      expect(configMaps.map((c) => c.metadata.name)).toContain(source.configMapRef.name);
    }
  });
});
