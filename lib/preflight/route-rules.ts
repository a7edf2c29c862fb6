/**
 * Preflight as data: which AWS services each part of a private cluster must reach through a VPC
 * endpoint, and when, in one table of `{ when, services, why, fix }` (in the style of cdk-nag's rule
 * packs), checked by one function. A service is reachable when the cluster's EndpointSet serves it;
 * everything else goes through the proxy, if there is one.
 */

import { IConstruct } from 'constructs';
import { AddonProfile } from '../addons/catalogue';
import { credentialServices, EndpointPresets, EndpointService } from '../endpoints/services';
import { invalid } from '../errors';

/**
 * What decides the routes: is there a proxy, does it authenticate. (Whether the secret has a customer KMS
 * key does not: Secrets Manager calls KMS for its caller, so readers need no KMS endpoint.)
 */
export interface RouteFacts {
  readonly proxy: boolean;
  readonly credentials: boolean;
}

/** Who needs the route; each is checked where it is built (the cluster, or a node group). */
export type RouteConsumer = 'cluster' | 'nodes' | 'selfManagedNodes' | 'autoModeNodes' | 'karpenter';

/** One rule: when it applies, the services that must have an endpoint, why, and how to fix it. */
export interface RouteRule {
  readonly when: (facts: RouteFacts) => boolean;
  readonly services: (facts: RouteFacts) => EndpointService[];
  readonly why: string;
  readonly fix: string;
}

/** Without a proxy, nodes reach every AWS API they need to join through an endpoint. */
const NODES_JOIN: RouteRule = {
  when: (f) => !f.proxy,
  services: () => EndpointPresets.nodes(),
  why: 'there is no proxy, so these nodes cannot reach the AWS APIs they need to join',
  fix: 'Give the cluster a proxy, or add these services to its EndpointSet (EndpointPresets.nodes())',
};

/** The rules of each consumer, checked in this order; the first that fails is reported. */
export const ROUTE_RULES: Record<RouteConsumer, readonly RouteRule[]> = {
  cluster: [
    {
      when: (f) => !f.proxy,
      services: () => EndpointPresets.kubectlProvider(),
      why: "there is no proxy, so CDK's kubectl provider cannot reach AWS",
      fix: 'Add EndpointPresets.kubectlProvider() to the endpoint services, or set a proxy',
    },
    // aws-eks-v2 passes `environment` to the kubectl handler only: the custom-resource framework
    // function that invokes it gets no proxy, whatever the cluster's proxy is.
    {
      when: (f) => f.proxy,
      services: () => [EndpointService.LAMBDA, EndpointService.S3],
      why: "CDK's kubectl provider framework function, which does not get the proxy, cannot invoke its handler or answer CloudFormation",
      fix: 'Add EndpointService.LAMBDA and EndpointService.S3 to the endpoint services',
    },
    // Reading the secret itself (nodes at boot, the kubectl handler at start) and nodeadm's own EC2
    // calls (its NodeConfig environment has no credentials) happen before the credentials are known.
    {
      when: (f) => f.credentials,
      services: () => [...EndpointPresets.nodes(), ...credentialServices()],
      why: 'nodes and the kubectl provider must reach them before they know the proxy credentials',
      fix: 'Add these services to the endpoint services (EndpointPresets.withProxyCredentials(credentials) lists them)',
    },
  ],
  nodes: [NODES_JOIN],
  // The EKS user guide lists no endpoints for Auto Mode nodes; they pull images from ECR (the node role's
  // AmazonEC2ContainerRegistryPullOnly) and join like other nodes, so the set documented for nodes of private
  // clusters ("Deploy private clusters with limited internet access": ec2, ecr.api, ecr.dkr, s3, sts) is
  // required; anything else they call is named in a warning (lib/automode/auto-mode.ts).
  autoModeNodes: [
    {
      ...NODES_JOIN,
      why: 'there is no proxy, so Auto Mode nodes cannot reach the AWS APIs that nodes need to join and pull images',
      fix: 'Give the cluster a proxy, or add these services to its EndpointSet (EndpointPresets.nodes())',
    },
  ],
  // Karpenter's controller and the nodes it launches: the list of the Karpenter docs for private clusters
  // (AddonProfile.KARPENTER has it and its source).
  karpenter: [
    {
      when: (f) => !f.proxy,
      services: () => AddonProfile.KARPENTER.services,
      why: 'there is no proxy, so the Karpenter controller cannot reach the AWS APIs it calls, nor its nodes join',
      fix: 'Let the cluster create its EndpointSet (it adds them when karpenter is set), or add these services to yours',
    },
  ],
  selfManagedNodes: [
    NODES_JOIN,
    {
      when: (f) => !f.proxy,
      services: () => [EndpointService.CLOUDFORMATION],
      why: 'there is no proxy, so these nodes cannot send CloudFormation the signal that they are ready',
      fix: 'Give the cluster a proxy, or add EndpointService.CLOUDFORMATION to its EndpointSet',
    },
  ],
};

/** The prop an error names: the cluster's `endpoints`, or a node group's `cluster`. */
const PROP: Record<RouteConsumer, string> = {
  cluster: 'endpoints',
  nodes: 'cluster',
  selfManagedNodes: 'cluster',
  autoModeNodes: 'autoMode',
  karpenter: 'karpenter',
};

/** What is wrong with the routes of a consumer, or undefined: the first failing rule. */
export function routeProblem(
  consumer: RouteConsumer,
  facts: RouteFacts,
  has: (service: EndpointService) => boolean,
): { prop: string; problem: string; fix: string } | undefined {
  for (const rule of ROUTE_RULES[consumer].filter((r) => r.when(facts))) {
    const needed = rule.services(facts);
    const missing = [...new Set(needed.filter((s) => !has(s)).map((s) => s.name))];
    if (missing.length > 0) {
      return { prop: PROP[consumer], problem: `has no endpoint for ${missing.join(', ')}: ${rule.why}`, fix: rule.fix };
    }
  }
  return undefined;
}

/** Fail at `scope` when a consumer's routes are missing. */
export function checkRoutes(
  scope: IConstruct,
  consumer: RouteConsumer,
  facts: RouteFacts,
  has: (service: EndpointService) => boolean,
): void {
  const problem = routeProblem(consumer, facts, has);
  if (problem) {
    invalid(scope, problem.prop, problem.problem, problem.fix);
  }
}
