/**
 * Bottlerocket user data read the way a Bottlerocket node reads it: a TOML document (parsed with
 * smol-toml, a TOML 1.0.0 parser), not MIME and not a script. And the proxy environment Bottlerocket
 * derives from the settings, modelled exactly on its template `packages/release/proxy-env`
 * (bottlerocket-os/bottlerocket-core-kit; shared/docs/verified-facts.md section 6), which renders
 * /etc/network/proxy.env (the EnvironmentFile= of containerd, host-containerd and kubelet):
 *
 *   {{#if settings.network.https-proxy}}
 *   HTTPS_PROXY={{settings.network.https-proxy}}
 *   https_proxy={{settings.network.https-proxy}}
 *   {{/if}}
 *   NO_PROXY={{#each settings.network.no-proxy}}{{this}},{{/each}}localhost,127.0.0.1
 *     {{#if settings.kubernetes.api-server}},{{host settings.kubernetes.api-server}}{{/if}}
 *     {{#if settings.kubernetes.cluster-domain}},.{{settings.kubernetes.cluster-domain}}{{/if}}
 *   no_proxy=(the same)
 *
 * No HTTP_PROXY: Bottlerocket has no http-proxy setting.
 */
import { parse } from 'smol-toml';
import { NodeGroup } from './examples';

/** Parse a Bottlerocket user-data document; throws with the parser's message when it is not TOML. */
export function parseSettings(g: NodeGroup): any {
  if (g.format !== 'toml' || g.userData === undefined) {
    throw new Error(`${g.label}: user data is ${g.format}, not a TOML document`);
  }
  return parse(g.userData);
}

/** Bottlerocket's default `settings.kubernetes.cluster-domain` (settings reference, kubernetes.toml). */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/**
 * The `host` helper of Bottlerocket's templates: the host of a URL. Modelled with the WHATWG URL
 * parser, which (like the Rust `url` crate Bottlerocket uses) lower-cases a domain.
 */
export function urlHost(url: string): string {
  return new URL(url).hostname;
}

/**
 * The settings a node ends up with: for managed nodes on the EKS AMI, EKS merges its own
 * `[settings.kubernetes]` (api-server, cluster-certificate, cluster-name) into the launch template's
 * user data (EKS user guide, "Customize managed nodes with launch templates"); `eksApiServer` stands
 * for that merge. Self-managed nodes get only what the user data says.
 */
export function effectiveSettings(settings: any, eksApiServer?: string): any {
  if (eksApiServer === undefined || settings?.settings?.kubernetes?.['api-server'] !== undefined) {
    return settings;
  }
  return {
    ...settings,
    settings: {
      ...settings.settings,
      kubernetes: { ...(settings.settings?.kubernetes ?? {}), 'api-server': eksApiServer },
    },
  };
}

/** /etc/network/proxy.env as Bottlerocket renders it from (effective) settings. */
export function bottlerocketProxyEnv(settings: any): Record<string, string> {
  const network = settings?.settings?.network ?? {};
  const kubernetes = settings?.settings?.kubernetes ?? {};
  const clusterDomain: string = kubernetes['cluster-domain'] ?? DEFAULT_CLUSTER_DOMAIN;
  const entries = [
    ...((network['no-proxy'] ?? []) as string[]),
    'localhost',
    '127.0.0.1',
    ...(kubernetes['api-server'] !== undefined ? [urlHost(kubernetes['api-server'])] : []),
    ...(clusterDomain ? [`.${clusterDomain}`] : []),
  ];
  const env: Record<string, string> = {};
  if (network['https-proxy'] !== undefined) {
    env.HTTPS_PROXY = network['https-proxy'];
    env.https_proxy = network['https-proxy'];
  }
  env.NO_PROXY = entries.join(',');
  env.no_proxy = entries.join(',');
  return env;
}
