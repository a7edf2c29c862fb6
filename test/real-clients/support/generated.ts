/**
 * The proxy environment as a node really gets it:
 * - Amazon Linux (AL2023, AL2): the /etc/environment block the generated boothook writes on its
 *   first run in the sandbox (with proxy credentials: a stub `aws` returns the test secret, so the
 *   proxy URLs carry `svc-eks:S3cr3t%25Pa%24%24%3Aword%40@`);
 * - Bottlerocket: /etc/network/proxy.env as Bottlerocket renders it from the TOML settings.
 */
import { effectiveSettings, bottlerocketProxyEnv, parseSettings } from './bottlerocket';
import { groupBoothook } from './cloudinit';
import { sandboxOptionsFor } from './credentials';
import { clusterOf, Deployment, Family, NodeGroup, nodeGroups } from './examples';
import { runCached } from './run-cache';
import { BOOTHOOK_PROFILES, environmentBlock, runBoothookInSandbox } from './sandbox';

/**
 * The /etc/environment block an Amazon Linux group's boothook writes: one sandbox run per script, family and
 * deployment in a real-client run (support/run-cache.ts), whichever suite asks first.
 */
export function generatedEtcEnvironment(g: NodeGroup): Record<string, string> {
  if (g.spec.family === 'BOTTLEROCKET') {
    throw new Error(`${g.label}: Bottlerocket has no /etc/environment; use nodeEnvironment`);
  }
  const script = groupBoothook(g);
  if (script === undefined) {
    throw new Error(`${g.label}: no boothook`);
  }
  const profile = BOOTHOOK_PROFILES[g.spec.family];
  return runCached('etc-environment', `${g.spec.family}\n${g.d.label}\n${script}`, () => {
    // With proxy credentials, a stub `aws` returns the test secret and the block carries it.
    const result = runBoothookInSandbox(script, 1, [], profile, sandboxOptionsFor(g.d));
    if (result.runs[1].rc !== 0) {
      throw new Error(`${g.label}: boothook failed: ${result.runs[1].stderr}`);
    }
    return environmentBlock(result.runs[1].files.environment);
  });
}

/** The proxy environment of one group's nodes, whatever the family. */
export function nodeEnvironment(g: NodeGroup): Record<string, string> {
  if (g.spec.family !== 'BOTTLEROCKET') {
    return generatedEtcEnvironment(g);
  }
  // Managed nodes on the EKS AMI: EKS merges the API server into the settings.
  const eksApiServer = g.spec.management === 'managed' ? clusterOf(g.d).endpoint : undefined;
  return bottlerocketProxyEnv(effectiveSettings(parseSettings(g), eksApiServer));
}

/** Where a family's processes read the proxy from. */
export const ENVIRONMENT_SOURCE: Record<Family, string> = {
  AL2023: '/etc/environment (boothook)',
  AL2: '/etc/environment (boothook)',
  BOTTLEROCKET: '/etc/network/proxy.env (Bottlerocket, from the TOML settings)',
};

/** The proxied node groups of a deployment, one entry per family (computing nothing yet). */
export interface FamilyEnvironment {
  readonly d: Deployment;
  readonly family: Family;
  readonly groups: NodeGroup[];
  /** e.g. `node-families @ us-east-1 — BOTTLEROCKET /etc/network/proxy.env (...) [Bottlerocket, SelfManagedBottlerocket]`. */
  readonly label: string;
}

export function familyEnvironments(d: Deployment): FamilyEnvironment[] {
  const groups = nodeGroups(d).filter((g) => g.format !== 'none');
  const families = [...new Set(groups.map((g) => g.spec.family))];
  return families.map((family) => {
    const members = groups.filter((g) => g.spec.family === family);
    return {
      d,
      family,
      groups: members,
      label: `${d.label} — ${family} ${ENVIRONMENT_SOURCE[family]} [${members.map((g) => g.spec.id).join(', ')}]`,
    };
  });
}

/**
 * The environment of a family's nodes in a deployment. Every group of the family must give the same
 * environment (one NO_PROXY per cluster); throws when they differ.
 */
export function familyEnvironment(fe: FamilyEnvironment): Record<string, string> {
  const envs = fe.groups.map((g) => ({ g, env: nodeEnvironment(g) }));
  const first = JSON.stringify(envs[0].env);
  const odd = envs.filter((e) => JSON.stringify(e.env) !== first);
  if (odd.length > 0) {
    throw new Error(
      `${fe.label}: groups disagree on the proxy environment: ${envs[0].g.spec.id} has ${first}, ` +
        odd.map((e) => `${e.g.spec.id} has ${JSON.stringify(e.env)}`).join('; '),
    );
  }
  return envs[0].env;
}
