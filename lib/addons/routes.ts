/**
 * Which services of an add-on are not served, as data: pure, no CDK constructs. The cluster turns a
 * problem into our error at synth.
 */
import type { EndpointService } from '../endpoints/services';
import type { AddonProfile } from './catalogue';

/** What decides whether an add-on's services are served. */
export interface AddonRouteFacts {
  /** The cluster has a proxy. */
  readonly proxy: boolean;
  /** The add-on's pods read the proxy (patched, or given the environment by their Helm values). */
  readonly podsReadProxy: boolean;
  /** The cluster's EndpointSet serves the service. */
  readonly has: (service: EndpointService) => boolean;
}

/** What is missing for an add-on, and how to fix it; undefined when everything is served. */
export function addonRouteProblem(
  profile: AddonProfile,
  facts: AddonRouteFacts,
): { problem: string; fix: string; endpointsFix: boolean } | undefined {
  if (profile.proxyOnlyServices.length > 0 && !facts.proxy) {
    return {
      problem: `adds ${profile.name}, which calls ${profile.proxyOnlyServices.join(', ')}: no VPC endpoint serves ${profile.proxyOnlyServices.length > 1 ? 'them' : 'it'} and the cluster has no proxy`,
      fix: 'Give the cluster a proxy that allows these services, or leave this add-on out',
      endpointsFix: false,
    };
  }
  const missing = [...new Set(profile.services.filter((s) => !facts.has(s)).map((s) => s.name))];
  if (missing.length === 0 || (facts.proxy && facts.podsReadProxy)) {
    return undefined;
  }
  const why = facts.proxy
    ? `its pods do not read the proxy (the add-on's configuration takes no proxy variables)`
    : 'the cluster has no proxy';
  return {
    problem: `adds ${profile.name}, which calls ${missing.join(', ')}: no endpoint of the cluster's EndpointSet serves ${missing.length > 1 ? 'them' : 'it'} and ${why}`,
    fix: `Add ${missing.map((m) => `'${m}'`).join(', ')} to the EndpointSet you pass as endpoints (or let the cluster create its own, which adds them)`,
    endpointsFix: true,
  };
}
