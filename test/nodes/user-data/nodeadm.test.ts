/** The nodeadm NodeConfig renderer (lib/nodes/user-data/nodeadm.ts). */
import { parseDocument } from 'yaml';
import { renderNodeConfig } from '../../../lib/nodes/user-data/nodeadm';
import { proxyEnvironment } from '../../../lib/proxy/render-environment';

const env = proxyEnvironment({
  httpProxy: 'http://proxy:3128',
  httpsProxy: 'http://proxy:3128',
  noProxy: ['localhost', '10.0.0.0/16'],
});

describe('renderNodeConfig', () => {
  test('is a YAML NodeConfig with the environment under spec.instance.environment.default', () => {
    const doc = parseDocument(renderNodeConfig({ environment: env }));
    expect(doc.errors).toEqual([]);
    const config = doc.toJS();
    expect(config.apiVersion).toBe('node.eks.aws/v1alpha1');
    expect(config.kind).toBe('NodeConfig');
    expect(config.spec.instance.environment.default).toEqual(env);
    expect(config.spec.cluster).toBeUndefined();
  });

  test('quotes values that YAML would otherwise read as something else', () => {
    const doc = parseDocument(renderNodeConfig({ environment: { A: 'yes', B: '1.10', C: 'a: b', D: '#x' } }));
    expect(doc.toJS().spec.instance.environment.default).toEqual({ A: 'yes', B: '1.10', C: 'a: b', D: '#x' });
  });
});
