/**
 * Pure renderers of Karpenter's objects for nodes behind the proxy: an `EC2NodeClass` (`karpenter.k8s.aws/v1`)
 * whose user data carries what our node groups carry (the boothook, the nodeadm NodeConfig environment, the CA
 * bundle, registry mirrors) and nothing Karpenter generates itself (no cluster fields), and a `NodePool`
 * (`karpenter.sh/v1`) on it. Objects in, objects out; values may hold CDK token markers.
 *
 * Sources (aws/karpenter-provider-aws v1.14.1): the CRDs in `pkg/apis/crds/` (vendored in test/fixtures/crds);
 * `website/content/en/docs/concepts/nodeclasses.md`, "spec.userData": on AL2023 the user data may be a MIME
 * multi-part archive, and Karpenter puts its own NodeConfig (cluster fields) before the parts; on Bottlerocket
 * it is TOML, merged with Karpenter's settings, which win for the cluster fields; "spec.amiSelectorTerms" aliases
 * `al2023@latest`, `bottlerocket@latest`; "spec.instanceProfile" instead of `spec.role` in a private cluster.
 */
import type { KubernetesObject, NodePoolRequirement } from '../automode/manifests';
import type { NodeFamilySpec, RenderedUserData, UserDataPart } from '../nodes/user-data/family';

/** The API version of the EC2NodeClass. */
export const EC2_NODE_CLASS_API_VERSION = 'karpenter.k8s.aws/v1';

/** The MIME boundary of our user data: no line of our parts can equal `--` + it. */
export const MIME_BOUNDARY = 'CDK-PRIVATE-EKS-KARPENTER-BOUNDARY';

/** A MIME multi-part archive of `parts` (cloud-init's format, as Karpenter's documentation shows it). */
export function renderMimeUserData(parts: UserDataPart[]): string {
  const lines = ['MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${MIME_BOUNDARY}"`, ''];
  for (const part of parts) {
    if (part.body.split('\n').some((l) => l.startsWith(`--${MIME_BOUNDARY}`))) {
      throw new Error('a user data part contains the MIME boundary'); // our renderers never write it
    }
    lines.push(`--${MIME_BOUNDARY}`, `Content-Type: ${part.contentType}`, '', part.body.replace(/\n$/, ''));
  }
  lines.push(`--${MIME_BOUNDARY}--`, '');
  return lines.join('\n');
}

/** The user data text of a family's rendering: MIME for Amazon Linux 2023, the TOML as is for Bottlerocket. */
export function userDataText(rendered: RenderedUserData): string | undefined {
  if (rendered.kind === 'raw') {
    return rendered.body === '' ? undefined : rendered.body;
  }
  return rendered.parts.length === 0 ? undefined : renderMimeUserData(rendered.parts);
}

/** What the EC2NodeClass is made of. */
export interface Ec2NodeClassInput {
  readonly name: string;
  /** The node family: AL2023 or Bottlerocket (Karpenter's `al2023` and `bottlerocket` aliases). */
  readonly family: NodeFamilySpec;
  /**
   * The node instance profile (`spec.instanceProfile`): Karpenter then creates none, so it needs no IAM endpoint
   * or permission to manage profiles (Karpenter docs, "Private Clusters": there is no VPC endpoint for IAM).
   */
  readonly instanceProfile: string;
  readonly subnetIds: string[];
  readonly securityGroupIds: string[];
  /** The user data (see `userDataText`), if the nodes need any. */
  readonly userData?: string;
  /** The AMI version of the alias (checked by the construct). Default: `latest`. */
  readonly amiVersion?: string;
  /** The size of the volume that holds containers and images, in GiB. */
  readonly dataVolumeGiB: number;
}

/**
 * Karpenter's AMI alias family of each node family, and the grammar of a pinned version: the AMI's GitHub
 * release tag, a date for AL2023 (`v20240807`), a semantic version for Bottlerocket (`v1.20.4`)
 * (docs/concepts/nodeclasses.md, "spec.amiSelectorTerms").
 */
export const AMI_ALIASES: Record<
  string,
  { readonly family: string; readonly version: RegExp; readonly example: string }
> = {
  AL2023: { family: 'al2023', version: /^v\d{8}$/, example: 'v20240807' },
  BOTTLEROCKET: { family: 'bottlerocket', version: /^v\d{1,4}\.\d{1,4}\.\d{1,4}$/, example: 'v1.20.4' },
};

/** The EC2NodeClass object: IMDSv2 with hop limit 1, encrypted gp3 volumes. */
export function renderEc2NodeClass(input: Ec2NodeClassInput): KubernetesObject<Record<string, unknown>> {
  const aliasFamily = AMI_ALIASES[input.family.name]?.family;
  if (aliasFamily === undefined) {
    throw new Error(`no Karpenter AMI alias for ${input.family.name}`); // the construct refuses other families
  }
  const alias = `${aliasFamily}@${input.amiVersion ?? 'latest'}`;
  const ebs = (sizeGiB: number) => ({
    volumeSize: `${sizeGiB}Gi`,
    volumeType: 'gp3',
    encrypted: true,
    deleteOnTermination: true,
  });
  const { data, os } = input.family.devices;
  return {
    apiVersion: EC2_NODE_CLASS_API_VERSION,
    kind: 'EC2NodeClass',
    metadata: { name: input.name },
    spec: {
      amiSelectorTerms: [{ alias }],
      instanceProfile: input.instanceProfile,
      subnetSelectorTerms: input.subnetIds.map((id) => ({ id })),
      securityGroupSelectorTerms: input.securityGroupIds.map((id) => ({ id })),
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpProtocolIPv6: 'disabled',
        httpTokens: 'required',
        httpPutResponseHopLimit: 1,
      },
      blockDeviceMappings: [
        ...(os ? [{ deviceName: os.device, ebs: ebs(os.sizeGiB) }] : []),
        { deviceName: data, ebs: ebs(input.dataVolumeGiB) },
      ],
      ...(input.userData !== undefined ? { userData: input.userData } : {}),
    },
  };
}

/** A default NodePool on an EC2NodeClass: on-demand, C/M/R instances of generation 5 or newer, Linux. */
export function renderKarpenterNodePool(
  name: string,
  nodeClassName: string,
): KubernetesObject<Record<string, unknown>> {
  const requirements: NodePoolRequirement[] = [
    { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
    { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm', 'r'] },
    { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['4'] },
    { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
  ];
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name },
    spec: {
      template: {
        spec: {
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: nodeClassName },
          requirements,
        },
      },
      disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '30s' },
    },
  };
}
