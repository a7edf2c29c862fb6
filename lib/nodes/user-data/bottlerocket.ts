/**
 * Bottlerocket nodes (`aws-k8s-*` variants).
 *
 * User data is one TOML document of API settings, not MIME and not a script: there is no shell, no
 * boothook and no package manager on the host. The document has only the sections the input needs:
 *
 * - `[settings.network]` `https-proxy` and `no-proxy`. Bottlerocket has no `http-proxy` setting: it
 *   writes only HTTPS_PROXY/https_proxy and NO_PROXY/no_proxy into `/etc/network/proxy.env`, which
 *   containerd, host-containerd and kubelet read (`bottlerocket-os/bottlerocket-core-kit`
 *   `packages/release/proxy-env`; see verified-facts.md section 6). To the list given here Bottlerocket
 *   appends only `localhost`, `127.0.0.1`, the API server host and `.<cluster-domain>`.
 * - `[settings.kubernetes]` `api-server`, `cluster-certificate`, `cluster-name`, `cluster-dns-ip` when
 *   the node joins without the EKS API (self-managed nodes, or a pinned AMI). Managed nodes on the EKS
 *   AMI get none: EKS merges its own settings into the launch template's user data.
 * - `[settings.kubernetes.node-labels]` and `[settings.kubernetes.node-taints]` for self-managed nodes.
 * - `[settings.cloudformation]` for self-managed nodes that signal their Auto Scaling group.
 * - `[settings.pki.cdk-private-eks-proxy-ca]` with the CA bundle of a TLS-inspecting proxy.
 * - `[[settings.container-registry.mirrors]]` and the ECR credential provider's settings for registry mirrors
 *   on the cluster's image cache.
 *
 * Setting names and formats: the Bottlerocket settings reference, `bottlerocket-os/bottlerocket-project-website`
 * `data/settings/1.14.x/kubernetes.toml`, `data/settings/1.15.x/network.toml` and
 * `data/settings/1.15.x/cloudformation.toml` (snapshot `6102096`, 2026-04-14; the latest versions of these
 * pages).
 *
 * The TOML writer below is pure text in, text out. Values may contain CDK token markers
 * (`${Token[TOKEN.123]}`): none of their characters needs escaping in a TOML basic string, so they pass
 * through verbatim and CloudFormation substitutes the resolved value inside the quotes. The values that
 * are tokens here (cluster name, API endpoint, CA, VPC CIDR, region) never resolve to a `"` or `\`.
 */
import {
  compareVersions,
  KubeletRegistration,
  NodeBootstrapInput,
  NodeFamilySpec,
  RegistryMirrors,
  RenderedUserData,
} from './family';
import { tomlKey, tomlString } from '../../private/encoders';

export { tomlKey, tomlString };

/** A TOML value this writer emits: a string, a boolean or an array of strings. */
export type TomlValue = string | boolean | readonly string[];

/** One TOML table: its dotted name (each part a key) and its key/value pairs, in order. */
export interface TomlTable {
  readonly name: readonly string[];
  readonly entries: ReadonlyArray<readonly [string, TomlValue]>;
  /** An element of an array of tables (`[[name]]`). */
  readonly arrayElement?: boolean;
}

function tomlValue(value: TomlValue): string {
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  if (typeof value === 'string') {
    return tomlString(value);
  }
  return `[${value.map(tomlString).join(', ')}]`;
}

/** Render tables as a TOML document; tables without entries are left out. Empty input gives ''. */
export function renderToml(tables: readonly TomlTable[]): string {
  return tables
    .filter((t) => t.entries.length > 0)
    .map(
      (t) =>
        [
          t.arrayElement ? `[[${t.name.map(tomlKey).join('.')}]]` : `[${t.name.map(tomlKey).join('.')}]`,
          ...t.entries.map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`),
        ].join('\n') + '\n',
    )
    .join('\n');
}

/**
 * Bottlerocket's `node-taints` map from `key=value:Effect` (or `key:Effect`) strings: the key, then a
 * list of `value:Effect` (`:Effect` without a value). Format: the settings reference (`node-taints`
 * example `"dedicated" = ["experimental:PreferNoSchedule", "experimental:NoExecute"]`) and the model's
 * `KubernetesTaintValue` (`bottlerocket-os/bottlerocket-settings-sdk`
 * `bottlerocket-settings-models/modeled-types/src/kubernetes.rs`: the value before the colon is optional).
 * Bottlerocket joins them back to `key=value:Effect` for kubelet's `--register-with-taints`
 * (`bottlerocket-core-kit` `sources/api/schnauzer/src/helpers/mod.rs`, `join_node_taints`).
 */
export function bottlerocketTaints(taints: readonly string[]): Array<[string, string[]]> {
  const byKey = new Map<string, string[]>();
  for (const taint of taints) {
    const eq = taint.indexOf('=');
    const colon = taint.lastIndexOf(':');
    const [key, valueAndEffect] =
      eq >= 0
        ? [taint.slice(0, eq), taint.slice(eq + 1)]
        : colon >= 0
          ? [taint.slice(0, colon), taint.slice(colon)]
          : [taint, ''];
    byKey.set(key, [...(byKey.get(key) ?? []), valueAndEffect]);
  }
  return [...byKey.entries()];
}

function kubeletTables(kubelet: KubeletRegistration | undefined): TomlTable[] {
  if (!kubelet) {
    return [];
  }
  return [
    // Label keys with `.` or `/` must be quoted in TOML, and all values quoted (settings reference, `node-labels`).
    { name: ['settings', 'kubernetes', 'node-labels'], entries: Object.entries(kubelet.labels) },
    { name: ['settings', 'kubernetes', 'node-taints'], entries: bottlerocketTaints(kubelet.taints) },
  ];
}

/** Bottlerocket's name of our bundle under `settings.pki`. */
export const BOTTLEROCKET_PKI_BUNDLE = 'cdk-private-eks-proxy-ca';

/**
 * Bottlerocket's `[settings.pki.<name>]`: `data` is the base64 of the PEM bundle (more than one certificate
 * allowed) and `trusted = true` adds it to the trust store; without `trusted` the bundle is untrusted
 * (Bottlerocket settings reference, `bottlerocket-os/bottlerocket-project-website`
 * `data/settings/1.24.x/pki.toml`, `<bundle-name>.data` and `<bundle-name>.trusted`; the settings are
 * documented from Bottlerocket 1.14.x, `data/settings/1.14.x/pki.toml`). A named bundle is added beside the
 * shipped roots, not in their place.
 */
export function bottlerocketPkiTable(pem: string): TomlTable {
  return {
    name: ['settings', 'pki', BOTTLEROCKET_PKI_BUNDLE],
    entries: [
      ['data', Buffer.from(pem, 'utf8').toString('base64')],
      ['trusted', true],
    ],
  };
}

/**
 * The image patterns Bottlerocket gives its ECR credential provider by default (bottlerocket-os/bottlerocket
 * `sources/shared-defaults/kubernetes-aws-credential-provider.toml`, 91632ff of 2024-10-24). A user-data
 * setting replaces the default array, so the mirrored registries are added to this list.
 */
export const BOTTLEROCKET_ECR_IMAGE_PATTERNS = [
  '*.dkr.ecr.*.amazonaws.com',
  '*.dkr.ecr.*.amazonaws.com.cn',
  '*.dkr.ecr-fips.*.amazonaws.com',
  '*.dkr.ecr.us-iso-east-1.c2s.ic.gov',
  '*.dkr.ecr.us-isob-east-1.sc2s.sgov.gov',
];

/**
 * Registry mirrors on the ECR pull through cache (see registry-mirrors.ts for Amazon Linux 2023):
 * `[[settings.container-registry.mirrors]]` with `registry` and `endpoint` (the settings model's
 * `RegistryMirrorV1 { registry, endpoint: Vec<Url> }`, bottlerocket-settings-sdk `container-registry`), which
 * Bottlerocket writes as containerd's `registry.mirrors."<registry>".endpoint` (bottlerocket-core-kit
 * `packages/containerd/containerd-config-toml_k8s_containerd_sock`; the endpoint's path, `/v2/<prefix>`,
 * is the API root containerd uses); and the ECR credential provider's `image-patterns` plus `environment`
 * `AWS_REGION` (`packages/kubernetes-1.31/credential-provider-config-yaml` writes the map as the provider's
 * `env`), so that the kubelet asks it for the mirrored registries' images.
 */
export function bottlerocketMirrorTables(mirrors: RegistryMirrors): TomlTable[] {
  const provider = ['settings', 'kubernetes', 'credential-providers', 'ecr-credential-provider'];
  return [
    ...mirrors.mirrors.map((m): TomlTable => ({
      name: ['settings', 'container-registry', 'mirrors'],
      arrayElement: true,
      entries: [
        ['registry', m.registry],
        ['endpoint', [m.endpoint]],
      ],
    })),
    {
      name: provider,
      entries: [
        ['enabled', true],
        ['image-patterns', [...BOTTLEROCKET_ECR_IMAGE_PATTERNS, ...mirrors.mirrors.map((m) => m.registry)]],
      ],
    },
    { name: [...provider, 'environment'], entries: [['AWS_REGION', mirrors.region]] },
  ];
}

/** The settings tables for an input, in document order (empty ones included; `renderToml` drops them). */
export function bottlerocketSettings(input: NodeBootstrapInput): TomlTable[] {
  const tables: TomlTable[] = [];
  if (input.proxy) {
    // `https-proxy`: "A host name (with an optional port number)" or "An IP address (with an optional port
    // number)", example "1.2.3.4:8080"; `no-proxy`: a list of hosts (settings reference, network.toml).
    // The model also accepts a URL with scheme (settings-sdk `settings-extensions/network` types it as
    // `Url`), but the documented form is host:port. Note: from v1.17.0 until the fix of
    // bottlerocket-core-kit#338 (PR #339, 2025-01), pluto panicked on a scheme-less *IP address* proxy
    // ("Unable to parse HTTPS proxy as URL: RelativeUrlWithoutBase"); host names were not affected.
    tables.push({
      name: ['settings', 'network'],
      entries: [
        ['https-proxy', input.proxy.httpsProxyHostPort ?? input.proxy.httpsProxy],
        ['no-proxy', input.proxy.noProxy],
      ],
    });
  }
  if (input.cluster) {
    // api-server, cluster-certificate (base64) and cluster-name are required on EKS without EKS's own merge;
    // with cluster-dns-ip set, pluto does not call DescribeCluster to derive it (settings reference,
    // kubernetes.toml; bottlerocket-core-kit `sources/api/pluto/src/main.rs`, `generate_cluster_dns_ip`).
    tables.push({
      name: ['settings', 'kubernetes'],
      entries: [
        ['api-server', input.cluster.endpoint],
        ['cluster-certificate', input.cluster.certificateAuthority],
        ['cluster-name', input.cluster.name],
        ['cluster-dns-ip', input.cluster.dnsClusterIp],
      ],
    });
  }
  tables.push(...kubeletTables(input.kubelet));
  if (input.registryMirrors !== undefined && input.registryMirrors.mirrors.length > 0) {
    tables.push(...bottlerocketMirrorTables(input.registryMirrors));
  }
  if (input.proxy?.caBundle !== undefined) {
    tables.push(bottlerocketPkiTable(input.proxy.caBundle));
  }
  if (input.signal) {
    // cfsignal (bottlerocket-core-kit `sources/cfsignal`, `packages/os/cfsignal.service`) runs once, on first
    // boot: it waits for `systemctl --wait is-system-running`, i.e. for the node's boot to complete, and
    // sends SUCCESS when the system is `running`, FAILURE otherwise (e.g. `degraded`). It reads the region
    // from IMDS, so `signal.region` and the signal durations have no Bottlerocket setting. It goes
    // through `https-proxy` from Bottlerocket v1.27.1 (core-kit 3.3.2, bottlerocket-core-kit#187/PR #234);
    // older releases need a CloudFormation VPC endpoint.
    tables.push({
      name: ['settings', 'cloudformation'],
      entries: [
        ['should-signal', true],
        ['stack-name', input.signal.stackName],
        ['logical-resource-id', input.signal.logicalId],
      ],
    });
  }
  return tables;
}

/** The Bottlerocket TOML settings document for an input ('' when nothing applies). */
export function renderBottlerocketSettings(input: NodeBootstrapInput): string {
  return renderToml(bottlerocketSettings(input));
}

export const BOTTLEROCKET: NodeFamilySpec = {
  registryMirrors: true,
  name: 'BOTTLEROCKET',
  // aws-cdk-lib aws-eks-v2 `NodegroupAmiType` (note the lower-case `x86_64`, upper-case `ARM_64`).
  // Two volumes: /dev/xvda holds the OS (2 GiB snapshot, not to be resized), /dev/xvdb containers and
  // images (bottlerocket README "Default Volumes", PR #1588; AMI block device mappings in issue #4000).
  devices: { data: '/dev/xvdb', os: { device: '/dev/xvda', sizeGiB: 2 } },
  amiTypes: {
    x86_64: ['BOTTLEROCKET_x86_64', 'BOTTLEROCKET_x86_64_NVIDIA', 'BOTTLEROCKET_x86_64_FIPS'],
    arm64: ['BOTTLEROCKET_ARM_64', 'BOTTLEROCKET_ARM_64_NVIDIA', 'BOTTLEROCKET_ARM_64_FIPS'],
  },

  // NVIDIA instances run the `aws-k8s-<version>-nvidia` variants (AMI types BOTTLEROCKET_*_NVIDIA). Neuron
  // instances are left to the user (amiType or machineImage): this library does not claim a variant for them.
  acceleratedAmiTypes: { nvidia: { x86_64: 'BOTTLEROCKET_x86_64_NVIDIA', arm64: 'BOTTLEROCKET_ARM_64_NVIDIA' } },

  // Public SSM parameters: `/aws/service/bottlerocket/aws-k8s-1.24/x86_64/latest/image_id`; "the valid
  // architecture names are `x86_64` and `arm64`" (bottlerocket-os/bottlerocket QUICKSTART-EKS.md,
  // "Finding an AMI"); the NVIDIA variant's name ends in `-nvidia`.
  amiParameter: (version, arch, accelerator) => {
    if (accelerator === undefined || accelerator === 'nvidia') {
      const variant = `aws-k8s-${version}${accelerator === 'nvidia' ? '-nvidia' : ''}`;
      return `/aws/service/bottlerocket/${variant}/${arch}/latest/image_id`;
    }
    return undefined;
  },

  // The first aws-k8s variant is aws-k8s-1.15 (bottlerocket-os/bottlerocket `variants/aws-k8s-1.15`, added
  // 2020-02-26). Bottlerocket drops a variant some time after EKS ends its support (the 1.57.x release data
  // of the project website lists aws-k8s-1.29 to 1.35); the `latest` parameter of a dropped variant points
  // at its last, no longer patched, release.
  versionProblem: (version) =>
    compareVersions(version, '1.15') < 0
      ? `Kubernetes ${version} has no Bottlerocket aws-k8s variant (they start at 1.15)`
      : undefined,

  warning: () => undefined,

  inputWarning: () => undefined,

  inputProblem(input) {
    if (input.proxy?.credentials) {
      return {
        prop: 'proxy.credentials',
        problem:
          'are set, but Bottlerocket takes the proxy only from its TOML settings, which live in the user data, so the credentials would be readable there',
        fix: 'Use NodeFamily.AMAZON_LINUX_2023 for nodes behind an authenticating proxy, or reach the proxy without credentials',
      };
    }
    if (input.proxy && input.proxy.httpsProxyHostPort === undefined) {
      return {
        prop: 'proxy',
        problem:
          'is given by a token (e.g. a parameter or an import), but Bottlerocket nodes take the proxy as host:port in their TOML settings, which must be known at synth time',
        fix: 'Give the proxy URL as a literal string (http://host:port) or use ProxySettings.fromHost(host, port), or use NodeFamily.AMAZON_LINUX_2023',
      };
    }
    // TOML cannot check a value chosen at deploy time, and Bottlerocket has no boothook to check it at boot.
    const input_ = (input.proxy?.deployTimeInputs ?? []).filter((p) => p !== 'proxy.httpProxy');
    if (input_.length > 0) {
      return {
        prop: input_[0],
        problem:
          'is chosen at deploy time (a parameter, an import or a dynamic reference), and Bottlerocket takes the proxy from TOML settings in its user data, where nothing can check the value at boot',
        fix: 'Give it as a literal value, or the proxy with ProxySettings.fromHost(resource attribute, port) (e.g. a load balancer DNS name), or use NodeFamily.AMAZON_LINUX_2023, whose boothook checks deploy-time values at boot',
      };
    }
    if (input.proxy && /^https:\/\//i.test(input.proxy.httpsProxy)) {
      // The documented form of `https-proxy` is host:port, and clients read a proxy without scheme as
      // http://: the node would speak plain HTTP to a TLS port. Refuse rather than silently drop the scheme.
      return {
        prop: 'proxy.httpsProxy',
        problem: `is ${input.proxy.httpsProxy}, a TLS proxy, but Bottlerocket nodes take the proxy as host:port and speak plain HTTP to it`,
        fix: "Give Bottlerocket nodes the proxy's plain-HTTP address (http://host:port), or use NodeFamily.AMAZON_LINUX_2023",
      };
    }
    return undefined;
  },

  render(input: NodeBootstrapInput): RenderedUserData {
    const body = renderBottlerocketSettings(input);
    // An empty MIME document is the contract's "no user data" (see `RenderedUserData`): a managed node on
    // the EKS AMI without a proxy then gets EKS's own settings only.
    return body === '' ? { kind: 'mime', parts: [] } : { kind: 'raw', body };
  },
};
