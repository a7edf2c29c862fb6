/**
 * Seed 001's shape: the proxy given as CloudFormation parameters (host and port, as the seed's `ProxyIP` and
 * `ProxyPort`) and one NO_PROXY entry as a parameter, next to a twin stack with the same values written as
 * literals. Resolving the parameter stack's template for chosen parameter values gives what CloudFormation
 * would deploy (support/intrinsics.ts resolves a parameter to its Default, which the tests set).
 */
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { PrivateEksCluster, ProxySettings } from '../../../lib';
import { fakeKubectlLayer, isolatedVpc, testApp } from '../../support/cdk';
import { IntrinsicResolver } from './intrinsics';

/** The values the twin stack writes as literals, and the parameters' defaults. */
export const GOOD = { host: 'proxy.corp.example', port: 3128, noProxy: '.corp.example' };

function clusterStack(app: App, id: string, proxy: (stack: Stack) => ProxySettings): Stack {
  const stack = new Stack(app, id);
  const cluster = new PrivateEksCluster(stack, 'Cluster', {
    vpc: isolatedVpc(stack),
    version: eks.KubernetesVersion.V1_35,
    kubectlLayer: fakeKubectlLayer(stack),
    serviceIpv4Cidr: '172.20.0.0/16',
    proxy: proxy(stack),
  });
  cluster.addProxiedNodeGroup('Workers', { minSize: 2 });
  return stack;
}

/** The two templates: `parameters` (seed 001's shape) and `concrete` (the same values as literals). */
export function parameterTemplates(): { parameters: any; concrete: any } {
  const app = testApp();
  clusterStack(app, 'Parameters', (stack) => {
    const host = new CfnParameter(stack, 'ProxyHost', { type: 'String', default: GOOD.host });
    const port = new CfnParameter(stack, 'ProxyPort', { type: 'Number', default: GOOD.port });
    const noProxy = new CfnParameter(stack, 'NoProxy', { type: 'String', default: GOOD.noProxy });
    return ProxySettings.fromHost(host.valueAsString, port.valueAsNumber, { noProxy: [noProxy.valueAsString] });
  });
  clusterStack(app, 'Concrete', () => ProxySettings.fromHost(GOOD.host, GOOD.port, { noProxy: [GOOD.noProxy] }));
  const assembly = app.synth();
  return {
    parameters: assembly.getStackByName('Parameters').template,
    concrete: assembly.getStackByName('Concrete').template,
  };
}

/** A resolver for a template with the given parameter values (as CloudFormation would take them). */
export function resolverFor(template: any, stackName: string, values: Record<string, string> = {}): IntrinsicResolver {
  const parameters = { ...(template.Parameters ?? {}) };
  for (const [name, value] of Object.entries(values)) {
    parameters[name] = { ...parameters[name], Default: value };
  }
  return new IntrinsicResolver(
    { ...template, Parameters: parameters },
    { region: 'us-east-1', account: '123456789012', stackName },
  );
}
