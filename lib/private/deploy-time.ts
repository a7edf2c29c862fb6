/**
 * Where a deploy-time value (a CDK token) comes from, and how a consumer that holds JSON text keeps it
 * data. No import from the rest of the library.
 *
 * A token cannot be checked at synth time. What it resolves to decides how far it can be trusted:
 * - `aws`: made only of AWS-produced values, a `Ref` to a resource of the stack or a pseudo parameter,
 *   `Fn::GetAtt` of a (non-custom) resource, `Fn::GetAZs`, joined, selected or split with concrete text:
 *   an NLB's DNS name, a VPC's CIDR, the region. AWS never returns a quote or a newline there.
 * - `input`: anything a person or another stack chooses at deploy time: a `Ref` to a CfnParameter (SSM
 *   parameters are CfnParameters of type `AWS::SSM::Parameter::Value<...>`), `Fn::ImportValue`,
 *   `Fn::FindInMap`, `Fn::Sub`, `Fn::If`, a `{{resolve:...}}` dynamic reference, a custom resource's
 *   attribute, a reference to another stack, and every intrinsic this file does not know.
 */
import {
  CfnElement,
  CfnParameter,
  CfnResource,
  Fn,
  IResolvable,
  Reference,
  Stack,
  Token,
  Tokenization,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** `concrete`: known at synth time; `aws`: produced by AWS at deploy time; `input`: chosen at deploy time. */
export type DeployTimeOrigin = 'concrete' | 'aws' | 'input';

/** Where `value` comes from, resolved in the stack of `scope`. */
export function deployTimeOrigin(scope: IConstruct, value: string | IResolvable): DeployTimeOrigin {
  if (typeof value === 'string' && !Token.isUnresolved(value)) {
    return value.includes('{{resolve:') ? 'input' : 'concrete';
  }
  const stack = Stack.of(scope);
  // A reference to another stack's resource resolves to a logical id here, and CDK turns it into an
  // import only when the app is synthesized: such a value is another stack's choice.
  const tokens = typeof value === 'string' ? Tokenization.reverseString(value).tokens : [value];
  if (tokens.some((t) => t instanceof Reference && Stack.of(t.target) !== stack)) {
    return 'input';
  }
  const elements = new Map<string, CfnElement>();
  for (const c of stack.node.findAll()) {
    if (c instanceof CfnElement && Stack.of(c) === stack) {
      elements.set(stack.resolve(c.logicalId), c);
    }
  }
  return originOf(stack.resolve(value), elements) ? 'aws' : 'input';
}

/** True when a resolved CloudFormation value is made of AWS-produced values and concrete text only. */
function originOf(v: unknown, elements: Map<string, CfnElement>): boolean {
  if (typeof v === 'string') {
    return !v.includes('{{resolve:');
  }
  if (typeof v === 'number' || typeof v === 'boolean') {
    return true;
  }
  if (Array.isArray(v)) {
    return v.every((x) => originOf(x, elements));
  }
  if (v === null || typeof v !== 'object') {
    return false;
  }
  const keys = Object.keys(v);
  if (keys.length !== 1) {
    return false;
  }
  const arg = (v as Record<string, unknown>)[keys[0]];
  switch (keys[0]) {
    case 'Ref': {
      if (typeof arg !== 'string') {
        return false;
      }
      if (arg.startsWith('AWS::')) {
        return true;
      }
      const el = elements.get(arg);
      return el instanceof CfnResource && !isCustom(el) && !(el instanceof CfnParameter);
    }
    case 'Fn::GetAtt': {
      const id = Array.isArray(arg) ? arg[0] : typeof arg === 'string' ? arg.split('.')[0] : undefined;
      const el = typeof id === 'string' ? elements.get(id) : undefined;
      return el instanceof CfnResource && !isCustom(el);
    }
    case 'Fn::Join':
    case 'Fn::Select':
    case 'Fn::Split':
    case 'Fn::GetAZs':
      return originOf(arg, elements);
    default:
      return false;
  }
}

/** A custom resource returns whatever its handler chooses (`AWS::CloudFormation::CustomResource`, `Custom::*`). */
function isCustom(el: CfnResource): boolean {
  return el.cfnResourceType === 'AWS::CloudFormation::CustomResource' || el.cfnResourceType.startsWith('Custom::');
}

/**
 * `value`, with `\` and `"` backslash-escaped by CloudFormation at deploy time (`Fn::Split` then
 * `Fn::Join`), for a token that goes between the quotes of a JSON string written as text: CloudFormation
 * pastes the resolved value there as is, so a `"` in a parameter would end the string and add JSON of the
 * parameter's choosing. Escaped, the value cannot leave its string; a control character left in it makes
 * the JSON invalid, and the deployment fails rather than applying anything. Concrete values are returned
 * unchanged (JSON.stringify escapes them).
 *
 * Not for `Stack.toJsonString`: it JSON-quotes the literal delimiters of intrinsics it embeds, which
 * would turn the `"` to split on into `\"` (see `jsonTextWithDeployTimeValues`).
 */
export function escapedForJsonAtDeploy(value: string): string {
  if (!Token.isUnresolved(value)) {
    return value;
  }
  const backslashes = Fn.join('\\\\', Fn.split('\\', value));
  return Fn.join('\\"', Fn.split('"', backslashes));
}

/**
 * `data` as JSON text in which every string holding deploy-time input (see `deployTimeOrigin`) is escaped
 * at deploy time (`escapedForJsonAtDeploy`), or undefined when no string holds any: then CDK's own
 * rendering is as safe. For a resource property that CDK would otherwise fill with `Stack.toJsonString`.
 */
export function jsonTextWithDeployTimeValues(scope: IConstruct, data: unknown): string | undefined {
  let escaped = 0;
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') {
      if (Token.isUnresolved(x) && deployTimeOrigin(scope, x) === 'input') {
        escaped++;
        return escapedForJsonAtDeploy(x);
      }
      return x;
    }
    if (Array.isArray(x)) {
      return x.map(walk);
    }
    if (x !== null && typeof x === 'object') {
      return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]));
    }
    return x;
  };
  const text = JSON.stringify(walk(data));
  return escaped > 0 ? text : undefined;
}
