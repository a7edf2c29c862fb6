/** Preflight as data (lib/preflight/route-rules.ts): the table, its checker, and the presets that agree with it. */
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { EndpointPresets, EndpointService, ProxyCredentials } from '../../lib';
import { credentialServices } from '../../lib/endpoints/services';
import { ROUTE_RULES, routeProblem, RouteFacts } from '../../lib/preflight/route-rules';
import { testStack } from '../support/cdk';

const names = (services: EndpointService[]) => services.map((s) => s.name);
const served = (services: EndpointService[]) => (s: EndpointService) => names(services).includes(s.name);
const NO_PROXY: RouteFacts = { proxy: false, credentials: false };
const CREDENTIALS: RouteFacts = { proxy: true, credentials: true };

test('every rule says why and how to fix, and names at least one service when it applies', () => {
  for (const rule of Object.values(ROUTE_RULES).flat()) {
    expect(rule.why).not.toMatch(/\.$/);
    expect(rule.fix).not.toMatch(/\.$/);
    const facts = [NO_PROXY, CREDENTIALS].filter(rule.when);
    expect(facts.length).toBeGreaterThan(0);
    facts.forEach((f) => expect(rule.services(f).length).toBeGreaterThan(0));
  }
});

test('the first failing rule of a consumer is reported, with the missing services named', () => {
  expect(routeProblem('cluster', NO_PROXY, served(EndpointPresets.minimal()))).toBeUndefined();
  expect(routeProblem('cluster', NO_PROXY, served(EndpointPresets.nodes()))).toEqual({
    prop: 'endpoints',
    problem: "has no endpoint for eks, lambda: there is no proxy, so CDK's kubectl provider cannot reach AWS",
    fix: 'Add EndpointPresets.kubectlProvider() to the endpoint services, or set a proxy',
  });
  expect(routeProblem('nodes', NO_PROXY, served(EndpointPresets.minimal()))).toBeUndefined();
  expect(routeProblem('selfManagedNodes', NO_PROXY, served(EndpointPresets.minimal()))?.problem).toMatch(
    /^has no endpoint for cloudformation: /,
  );
  expect(routeProblem('selfManagedNodes', { ...NO_PROXY, proxy: true }, served([]))).toBeUndefined();
});

test('Secrets Manager and no KMS, whatever the key (Secrets Manager decrypts for its caller): the rule and the preset agree', () => {
  expect(names(credentialServices())).toEqual(['secretsmanager']);
  const stack = testStack('us-east-1');
  const plain = ProxyCredentials.fromSecret(new secretsmanager.Secret(stack, 'Plain'));
  const keyed = ProxyCredentials.fromSecret(
    new secretsmanager.Secret(stack, 'Keyed', { encryptionKey: new kms.Key(stack, 'Key') }),
  );
  for (const credentials of [plain, keyed, undefined]) {
    expect(names(EndpointPresets.withProxyCredentials(credentials))).not.toContain('kms');
    expect(names(EndpointPresets.withProxyCredentials(credentials))).toContain('secretsmanager');
    expect(
      routeProblem('cluster', CREDENTIALS, served(EndpointPresets.withProxyCredentials(credentials))),
    ).toBeUndefined();
  }
  expect(routeProblem('cluster', CREDENTIALS, served(EndpointPresets.minimal()))?.problem).toMatch(
    /^has no endpoint for secretsmanager: /,
  );
});
