/**
 * Kubernetes' own grammars for label keys and values and for taints, so that a concrete value that the
 * API server would refuse is refused at synth time instead, and a value that passes holds nothing a shell,
 * a kubelet flag (`--node-labels=k=v,...`, `--register-with-taints=k=v:Effect,...`) or YAML could read as
 * syntax: only ASCII letters, digits, `-`, `_`, `.` and one `/`.
 *
 * Source: k8s.io/apimachinery pkg/util/validation/validation.go (IsQualifiedName, IsValidLabelValue,
 * IsDNS1123Subdomain) and k8s.io/kubernetes pkg/apis/core/validation (validateTaints: the key is a
 * qualified name, the value a label value, the effect one of three). Pure; no CDK imports.
 */

/** `(qnameChar qnameExtChar*)? qnameChar`, at most 63 characters. */
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUALIFIED_NAME_MAX = 63;
/** DNS-1123 subdomain: lowercase labels joined by dots, at most 253 characters. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_SUBDOMAIN_MAX = 253;

/** The three taint effects the API server accepts. */
export const TAINT_EFFECTS: readonly string[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** What is wrong with a label (or taint) key, or undefined when Kubernetes accepts it. */
export function labelKeyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) {
    return `'${key}' has more than one '/'; a key is an optional DNS prefix, a '/', and a name`;
  }
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix === '') {
      return `'${key}' has an empty prefix before '/'`;
    }
    if (prefix.length > DNS1123_SUBDOMAIN_MAX || !DNS1123_SUBDOMAIN.test(prefix)) {
      return `'${key}' has the prefix '${prefix}', which is not a lowercase DNS subdomain of at most 253 characters (for example example.com)`;
    }
  }
  if (name === '') {
    return `'${key}' has an empty name`;
  }
  if (name.length > QUALIFIED_NAME_MAX || !QUALIFIED_NAME.test(name)) {
    return (
      `'${key}' has the name '${name}', which must be at most 63 characters of letters, digits, '-', '_' or '.', ` +
      'starting and ending with a letter or digit'
    );
  }
  return undefined;
}

/** What is wrong with a label (or taint) value, or undefined when Kubernetes accepts it (empty is fine). */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') {
    return undefined;
  }
  if (value.length > QUALIFIED_NAME_MAX || !QUALIFIED_NAME.test(value)) {
    return (
      `'${value}' must be empty or at most 63 characters of letters, digits, '-', '_' or '.', ` +
      'starting and ending with a letter or digit'
    );
  }
  return undefined;
}

/** What is wrong with a taint effect, or undefined when it is one of the three. */
export function taintEffectProblem(effect: string): string | undefined {
  return TAINT_EFFECTS.includes(effect) ? undefined : `'${effect}' is not one of ${TAINT_EFFECTS.join(', ')}`;
}

/** A namespace name: an RFC 1123 DNS label (Kubernetes "Namespaces", names), at most 63 characters. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** What is wrong with a namespace name, or undefined. */
export function namespaceProblem(namespace: string): string | undefined {
  if (namespace.length > 63 || !NAMESPACE.test(namespace)) {
    return `'${namespace}' is not a namespace name (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)`;
  }
  return undefined;
}
