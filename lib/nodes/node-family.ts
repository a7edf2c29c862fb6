import { AL2 } from './user-data/al2';
import { AL2023 } from './user-data/al2023';
import { BOTTLEROCKET } from './user-data/bottlerocket';
import { NodeFamilySpec } from './user-data/family';

/**
 * The operating system family of a node group, which decides how the proxy and the bootstrap reach
 * the node. Each family's user data comes from its own pure renderer in `lib/nodes/user-data/`.
 */
export class NodeFamily {
  /**
   * Amazon Linux 2023 with nodeadm (the default): a cloud-boothook for dnf, /etc/environment and systemd
   * drop-ins, and a nodeadm NodeConfig that gives the proxy to nodeadm itself.
   */
  public static readonly AMAZON_LINUX_2023 = new NodeFamily(AL2023);

  /**
   * Bottlerocket (`aws-k8s-*` variants): one TOML settings document, with `settings.network.https-proxy`
   * (host:port; Bottlerocket has no HTTP proxy setting) and `no-proxy`, plus the cluster details, labels,
   * taints and the CloudFormation signal when the node joins without the EKS API. The proxy URL must be
   * a literal (not a token).
   */
  public static readonly BOTTLEROCKET = new NodeFamily(BOTTLEROCKET);

  /**
   * Amazon Linux 2 with `/etc/eks/bootstrap.sh`, only for clusters still on Kubernetes 1.32 or older:
   * EKS AL2 AMIs reached end of support on 2025-11-26 and none exist for 1.33+. A cloud-boothook for yum,
   * /etc/environment and systemd drop-ins; on a pinned AMI, a bootstrap.sh call with the cluster details.
   * Every node group of this family gets a synth warning: move to `AMAZON_LINUX_2023`.
   */
  public static readonly AMAZON_LINUX_2 = new NodeFamily(AL2);

  /** The family's short name, e.g. `AL2023`. */
  public readonly name: string;

  /** @internal */
  public readonly _spec: NodeFamilySpec;

  private constructor(spec: NodeFamilySpec) {
    this.name = spec.name;
    this._spec = spec;
  }
}
