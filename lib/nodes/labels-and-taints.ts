import { Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { IConstruct } from 'constructs';
import { invalid } from '../errors';
import { RouteConsumer } from '../preflight/route-rules';
import { labelKeyProblem, labelValueProblem } from '../private/kubernetes-names';

/**
 * Node labels and taints against Kubernetes' own grammar (lib/private/kubernetes-names.ts). Self-managed
 * nodes write them into kubelet flags, nodeadm's NodeConfig, bootstrap.sh arguments or Bottlerocket TOML,
 * so a value that is not a Kubernetes name could become syntax there; a managed group hands them to the
 * EKS API, which refuses such a value only at deploy time. Concrete values are checked for both.
 * Deploy-time values (tokens) cannot be checked: a self-managed group refuses them, a managed group
 * passes them to EKS as data (the `Labels`/`Taints` properties), which checks them itself.
 */
export function checkLabelsAndTaints(
  scope: IConstruct,
  labels: { [name: string]: string } | undefined,
  taints: eks.TaintSpec[] | undefined,
  consumer: RouteConsumer,
): void {
  const writtenIntoUserData = consumer === 'selfManagedNodes';
  const check = (prop: string, value: string, problemOf: (v: string) => string | undefined, what: string) => {
    if (Token.isUnresolved(value)) {
      if (writtenIntoUserData) {
        invalid(
          scope,
          prop,
          `has a deploy-time value (${what.replace(/:$/, '')}), which a self-managed node would write into its kubelet settings unchecked`,
          'Give a concrete value, or use a managed node group (ProxiedNodeGroup), which hands labels and taints to the EKS API as data',
        );
      }
      return;
    }
    const problem = problemOf(value);
    if (problem) {
      invalid(
        scope,
        prop,
        `${what} ${problem}`,
        'Use a Kubernetes label syntax: an optional DNS prefix and "/", then at most 63 letters, digits, "-", "_" or "." (values may be empty)',
      );
    }
  };
  for (const [key, value] of Object.entries(labels ?? {})) {
    check('labels', key, labelKeyProblem, 'key');
    check('labels', value, labelValueProblem, `value of ${Token.isUnresolved(key) ? 'a label' : `'${key}'`}:`);
  }
  for (const taint of taints ?? []) {
    if (taint.key === undefined) {
      invalid(scope, 'taints', 'has a taint without a key', 'Give every taint a key, for example dedicated');
    }
    check('taints', taint.key, labelKeyProblem, 'key');
    if (taint.value !== undefined) {
      check('taints', taint.value, labelValueProblem, `value of taint '${taint.key}':`);
    }
  }
}
