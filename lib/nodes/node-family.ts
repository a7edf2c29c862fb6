import { AL2023 } from './user-data/al2023';
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

  /** The family's short name, e.g. `AL2023`. */
  public readonly name: string;

  /** @internal */
  public readonly _spec: NodeFamilySpec;

  private constructor(spec: NodeFamilySpec) {
    this.name = spec.name;
    this._spec = spec;
  }
}
