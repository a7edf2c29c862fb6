/**
 * The Auto Mode manifests (lib/automode/manifests.ts) against their schemas, with a real JSON-schema validator
 * (ajv): the NodePools against Karpenter's own NodePool CRD (test/fixtures/crds, v1.14.1), the NodeClass
 * against the schema transcribed from the EKS user guide (EKS publishes no CRD for it). Broken variants are
 * refused, so the check can fail.
 */
import { crdValidator } from '../support/crds';
import { NODE_CLASS_NAME, renderNodeClass, renderNodePools } from '../../lib/automode/manifests';

const validNodePool = crdValidator('karpenter.sh_nodepools.yaml');
const validNodeClass = crdValidator('eks.amazonaws.com_nodeclasses.transcribed.json');

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const nodeClass = renderNodeClass({
  roleName: 'node-role',
  subnetIds: ['subnet-0a', 'subnet-0b'],
  securityGroupIds: ['sg-0c'],
  httpsProxy: 'http://proxy.corp.example:3128',
  noProxy: ['localhost', '10.0.0.0/16', '.eks.amazonaws.com'],
  caBundle: PEM,
});

test('the NodeClass is valid, carries the HTTPS proxy, NO_PROXY and the CA as base64 PEM', () => {
  expect(validNodeClass(nodeClass)).toEqual([]);
  expect(nodeClass.spec.advancedNetworking).toEqual({
    httpsProxy: 'http://proxy.corp.example:3128',
    noProxy: ['localhost', '10.0.0.0/16', '.eks.amazonaws.com'],
  });
  expect(Buffer.from(nodeClass.spec.certificateBundles![0].data, 'base64').toString()).toBe(PEM);
  expect(nodeClass.spec.subnetSelectorTerms).toEqual([{ id: 'subnet-0a' }, { id: 'subnet-0b' }]);
});

test('without a proxy the NodeClass has no advancedNetworking and no bundle, and is still valid', () => {
  const bare = renderNodeClass({ roleName: 'r', subnetIds: ['subnet-1'], securityGroupIds: ['sg-1'] });
  expect(validNodeClass(bare)).toEqual([]);
  expect(bare.spec.advancedNetworking).toBeUndefined();
  expect(bare.spec.certificateBundles).toBeUndefined();
});

test('both NodePools are valid NodePools of the Karpenter CRD and point at our NodeClass', () => {
  const pools = renderNodePools(NODE_CLASS_NAME);
  for (const pool of pools) {
    expect({ pool: pool.metadata.name, errors: validNodePool(pool) }).toEqual({
      pool: pool.metadata.name,
      errors: [],
    });
    expect(pool.spec.template.spec.nodeClassRef).toEqual({
      group: 'eks.amazonaws.com',
      kind: 'NodeClass',
      name: NODE_CLASS_NAME,
    });
  }
  expect(pools.map((p) => p.metadata.name)).toEqual(['cdk-private-eks-system', 'cdk-private-eks-general-purpose']);
  expect(pools[0].spec.template.spec.taints).toEqual([{ key: 'CriticalAddonsOnly', effect: 'NoSchedule' }]);
});

describe('broken variants are refused by the schemas', () => {
  test.each<[string, (o: any) => void]>([
    ['51 noProxy entries', (o) => (o.spec.advancedNetworking.noProxy = Array.from({ length: 51 }, (_, i) => `h${i}`))],
    ['a noProxy entry over 255 characters', (o) => (o.spec.advancedNetworking.noProxy = ['a'.repeat(256)])],
    [
      'an httpsProxy over 255 characters',
      (o) => (o.spec.advancedNetworking.httpsProxy = `http://${'p'.repeat(250)}:3128`),
    ],
    ['an httpProxy field (there is none)', (o) => (o.spec.advancedNetworking.httpProxy = 'http://p:3128')],
    ['no role', (o) => delete o.spec.role],
    ['the name default', (o) => (o.metadata.name = 'default')],
  ])('NodeClass: %s', (_name, breakIt) => {
    const broken = JSON.parse(JSON.stringify(nodeClass));
    breakIt(broken);
    expect(validNodeClass(broken)).not.toEqual([]);
  });

  test.each<[string, (o: any) => void]>([
    ['no nodeClassRef', (o) => delete o.spec.template.spec.nodeClassRef],
    ['an unknown operator', (o) => (o.spec.template.spec.requirements[0].operator = 'Like')],
    ['a taint without effect', (o) => (o.spec.template.spec.taints = [{ key: 'k' }])],
  ])('NodePool: %s', (_name, breakIt) => {
    const broken = JSON.parse(JSON.stringify(renderNodePools(NODE_CLASS_NAME)[0]));
    breakIt(broken);
    expect(validNodePool(broken)).not.toEqual([]);
  });
});
