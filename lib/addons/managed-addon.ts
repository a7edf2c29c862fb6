import { CfnResource } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { shortHash } from '../manifests/proxy-manifests';
import { AddonProfile } from './catalogue';

/** An EKS managed add-on to install, from the catalogue. */
export interface ManagedAddonOptions {
  /** The add-on, e.g. `AddonProfile.VPC_CNI`. */
  readonly addon: AddonProfile;

  /**
   * The add-on version (`aws eks describe-addon-versions --addon-name NAME`). A new version re-applies the
   * proxy patch of the add-on's objects after EKS updates them.
   *
   * @default - the default version EKS picks for the cluster's Kubernetes version
   */
  readonly version?: string;

  /**
   * The add-on's configuration values (its JSON schema: `aws eks describe-addon-configuration`). A change
   * re-applies the proxy patch, as a new version does.
   *
   * @default - the add-on's defaults
   */
  readonly configurationValues?: { [key: string]: unknown };

  /**
   * Keep the add-on's software in the cluster when the add-on is removed from the stack.
   *
   * @default true
   */
  readonly preserveOnDelete?: boolean;
}

/**
 * The `AWS::EKS::Addon` through aws-eks-v2's `Addon`, and the revision that identifies its state (name,
 * version, configuration) for the proxy patches tied to it.
 *
 * `ResolveConflicts: OVERWRITE`: EKS installs vpc-cni, kube-proxy and coredns itself when it creates the
 * cluster (self-managed), and creating the managed add-on over them fails on the fields they already own
 * unless conflicts are overwritten (CreateAddon's `resolveConflicts`, EKS API reference). EKS applies its
 * objects with server-side apply and owns only the fields it sets (EKS user guide, "Determine fields you
 * can customize for Amazon EKS add-ons"): OVERWRITE resets those, not the `envFrom` our patch adds.
 */
export function createManagedAddon(
  scope: Construct,
  cluster: eks.ICluster,
  options: ManagedAddonOptions,
  addonName: string,
): { addon: eks.Addon; revision: string } {
  const addon = new eks.Addon(scope, `Addon-${addonName}`, {
    cluster,
    addonName,
    addonVersion: options.version,
    configurationValues: options.configurationValues,
    preserveOnDelete: options.preserveOnDelete,
  });
  (addon.node.defaultChild as CfnResource).addPropertyOverride('ResolveConflicts', 'OVERWRITE');
  const config = options.configurationValues ? `/config-${shortHash(scope, options.configurationValues)}` : '';
  return { addon, revision: `${addonName}@${options.version ?? 'default'}${config}` };
}
