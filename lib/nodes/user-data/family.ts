/**
 * The contract every node family (Amazon Linux 2023, Bottlerocket, Amazon Linux 2) fulfils: pure data
 * in, user data text out. One file per family implements it; `NodeFamily` (the public enum-like class)
 * only names them. No CDK imports: values may contain token markers, which pass through unchanged.
 */

import type { ProxySecretReference } from '../../credentials/secret-reference';

/** CPU architecture of the nodes. */
export type Arch = 'x86_64' | 'arm64';

/** The proxy as a node needs it: what a cluster hands its node groups (see `INodeContext`). */
export interface NodeProxy {
  /** Both cases of HTTP_PROXY, HTTPS_PROXY and NO_PROXY. */
  readonly environment: { [name: string]: string };
  /** The HTTPS proxy URL (scheme://host:port). */
  readonly httpsProxy: string;
  /**
   * `host:port` of the HTTPS proxy (Bottlerocket needs it without scheme).
   *
   * @default - not known at synth time (a token URL)
   */
  readonly httpsProxyHostPort?: string;
  /** The composed NO_PROXY entries. */
  readonly noProxy: string[];
  /**
   * Where to read the proxy credentials at boot, if the proxy authenticates.
   *
   * @default - the proxy needs no credentials
   */
  readonly credentials?: ProxySecretReference;
  /**
   * The CA bundle of a TLS-inspecting proxy, canonical PEM (see lib/private/ca-bundle.ts): certificate
   * blocks of base64 lines only, so it is safe in a quoted here-document and a TOML string.
   *
   * @default - the proxy does not inspect TLS
   */
  readonly caBundle?: string;
  /**
   * Base64 (CloudFormation `Fn::Base64`) of the values in `environment` that are known only at deploy
   * time, by upper-case variable name (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`): the boothook carries
   * these as data and checks them at boot, never as script text.
   *
   * @default - every value is known at synth time
   */
  readonly deployTimeBase64?: { [name: string]: string };
  /**
   * The props each deploy-time variable comes from, by upper-case variable name (e.g. `NO_PROXY`:
   * `vpc, proxy.noProxy`), named when its value is refused at boot.
   *
   * @default - the variable is named as coming from `proxy`
   */
  readonly deployTimeProps?: { [name: string]: string };
  /**
   * The props whose value is chosen at deploy time rather than produced by AWS (a CloudFormation
   * parameter, an SSM parameter, an import, a dynamic reference, a custom resource's attribute), e.g.
   * `proxy.httpProxy` or `proxy.noProxy[0]`: consumers that cannot check a value at boot (nodeadm's YAML,
   * Bottlerocket's TOML) leave it out or refuse it.
   *
   * @default - none
   */
  readonly deployTimeInputs?: string[];
}

/**
 * What a node needs to join without calling the EKS API (DescribeCluster): self-managed nodes and
 * managed nodes on a pinned AMI. Managed nodes on the EKS AMI get these from EKS instead.
 */
export interface ClusterBootstrap {
  /** The cluster name. */
  readonly name: string;
  /** The API server URL (https://...). */
  readonly endpoint: string;
  /** The cluster CA, base64 as EKS returns it. */
  readonly certificateAuthority: string;
  /** The Kubernetes service CIDR. */
  readonly serviceCidr: string;
  /** The cluster DNS IP (the .10 of the service CIDR). */
  readonly dnsClusterIp: string;
}

/** A registry whose images containerd pulls from an ECR pull through cache. */
export interface RegistryMirror {
  /** The registry as image names spell it, e.g. `docker.io` (the `certs.d` directory name). */
  readonly registry: string;
  /** The upstream registry URL, the fallback, e.g. `https://registry-1.docker.io`. */
  readonly server: string;
  /** The mirror: `https://<account>.dkr.ecr.<region>.<suffix>/v2/<prefix>` (AWS-produced values only). */
  readonly endpoint: string;
}

/** The mirrors of a node, and the region of the ECR registry that serves them. */
export interface RegistryMirrors {
  /** The region of the registry (the ECR credential provider's `AWS_REGION`). */
  readonly region: string;
  /** One per mirrored registry. */
  readonly mirrors: RegistryMirror[];
}

/** Kubelet registration settings that only self-managed nodes carry in their user data. */
export interface KubeletRegistration {
  readonly labels: Record<string, string>;
  /** `key=value:Effect` strings. */
  readonly taints: string[];
}

/**
 * A CloudFormation resource signal sent once the node is `Ready` in the cluster, or as soon as it cannot
 * get there (see ready-signal.ts). The three durations are seconds, so tests can render a program that
 * gives up in seconds with the same code.
 */
export interface ReadySignal {
  readonly stackName: string;
  readonly logicalId: string;
  readonly region: string;
  /** Seconds to wait for the Node to be `Ready` before signalling failure. */
  readonly timeoutSeconds: number;
  /** Seconds the proxy or the API server may stay unreachable before the signal fails at once. */
  readonly unreachableSeconds: number;
  /** Seconds between two checks. */
  readonly pollSeconds: number;
}

/**
 * The exec credential command of kubelet's kubeconfig on a family's AMI (the node's identity: its
 * instance role, mapped by the EC2_LINUX access entry to `system:node:<name>`), for a cluster and region.
 */
export type KubeletTokenCommand = (clusterName: string, region: string) => string[];

/** Everything a family renders user data from. */
export interface NodeBootstrapInput {
  readonly proxy?: NodeProxy;
  /** Set when the node must join without the EKS API; unset for managed nodes on the EKS AMI. */
  readonly cluster?: ClusterBootstrap;
  readonly kubelet?: KubeletRegistration;
  readonly signal?: ReadySignal;
  /** Registries to pull from an ECR pull through cache (families with `registryMirrors` only). */
  readonly registryMirrors?: RegistryMirrors;
}

/** One part of a MIME multi-part document. */
export interface UserDataPart {
  readonly contentType: string;
  readonly body: string;
}

/**
 * User data: MIME parts (Amazon Linux), or one raw document (Bottlerocket TOML). A `mime` with no parts
 * means "no user data" for every family (a raw document is always used as given, even when empty).
 */
export type RenderedUserData =
  { readonly kind: 'mime'; readonly parts: UserDataPart[] } | { readonly kind: 'raw'; readonly body: string };

/** What is wrong with the input for a family, and how to fix it. */
export interface InputProblem {
  /** The prop at fault, e.g. `proxy`. */
  readonly prop: string;
  readonly problem: string;
  readonly fix: string;
}

/** A node family. */
/**
 * The accelerator of an instance family: NVIDIA GPUs (p*, g* but g4ad, gr*), AWS Neuron (inf*, trn*:
 * Inferentia and Trainium) or AMD GPUs (g4ad), for which no EKS-optimized AMI exists.
 */
export type Accelerator = 'nvidia' | 'neuron' | 'amd';

export interface NodeFamilySpec {
  /** Short name, e.g. `AL2023`. */
  readonly name: string;
  /** The EKS managed node group AMI types of this family, default first per architecture. */
  readonly amiTypes: Record<Arch, string[]>;
  /** The AMI type for instances with an accelerator, per architecture; missing when the family has none. */
  readonly acceleratedAmiTypes: Partial<Record<Accelerator, Partial<Record<Arch, string>>>>;
  /**
   * The EBS devices of the family's AMIs: `data` holds containers and images and gets the node's
   * volume size; `os` is a separate OS volume, if the AMI has one (encrypted too, at its snapshot size).
   */
  readonly devices: { readonly data: string; readonly os?: { readonly device: string; readonly sizeGiB: number } };
  /**
   * The public SSM parameter holding the recommended AMI id for a Kubernetes version, or undefined when
   * the family publishes none for the accelerator.
   */
  amiParameter(kubernetesVersion: string, arch: Arch, accelerator?: Accelerator): string | undefined;
  /** Why the family cannot run a Kubernetes version, or undefined. */
  versionProblem(kubernetesVersion: string): string | undefined;
  /** A warning for a family that deploys but will likely hurt, or undefined. */
  warning(kubernetesVersion: string): string | undefined;
  /** Why the family cannot serve this input (e.g. a token proxy URL for Bottlerocket), or undefined. */
  inputProblem(input: NodeBootstrapInput): InputProblem | undefined;
  /** A warning about how the family serves this input (e.g. what it leaves out), or undefined. */
  inputWarning(input: NodeBootstrapInput): string | undefined;
  /** True when the family renders `registryMirrors` (containerd mirrors on the ECR pull through cache). */
  readonly registryMirrors: boolean;
  /** Render the user data. */
  render(input: NodeBootstrapInput): RenderedUserData;
}

/** Compare `major.minor` Kubernetes versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am !== bm ? am - bm : an - bn;
}
