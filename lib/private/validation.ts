import { IConstruct } from 'constructs';

/**
 * The error every cdk-private-eks construct throws at synth time for invalid input.
 *
 * Its message has the form `<construct path>: <prop> <what is wrong>. <how to fix>.`
 *
 * This class extends the JavaScript `Error`, which jsii cannot represent, so it is
 * importable from TypeScript and JavaScript as `cdk-private-eks/lib/errors`; other
 * languages use `PrivateEksErrors.isValidationError()`.
 */
export class PrivateEksValidationError extends Error {
  /** The prop (or value object field) that is wrong, e.g. `proxy.httpProxy`. */
  public readonly prop: string;

  constructor(prop: string, message: string) {
    super(message);
    this.name = 'PrivateEksValidationError';
    this.prop = prop;
    Object.setPrototypeOf(this, PrivateEksValidationError.prototype);
  }
}

/**
 * Throw a validation error naming the construct, the prop and the fix.
 * @internal
 */
export function invalid(scope: IConstruct | string, prop: string, problem: string, fix: string): never {
  const where = typeof scope === 'string' ? scope : scope.node.path;
  throw new PrivateEksValidationError(prop, `${where}: ${prop} ${problem}. ${fix}`);
}

/**
 * Why a value that must be a string is not one (`is missing`, `is not a string (number)`), or undefined
 * when it is a string. For inputs from JavaScript or other jsii languages, where the types are not checked.
 */
export function notAStringProblem(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return undefined;
  }
  return `is ${value === undefined ? 'missing' : `not a string (${typeof value})`}`;
}
