import { PrivateEksValidationError } from './private/validation';

// The error class and the throw helper live in lib/private/ (a leaf every module may import); this is
// their public address, `cdk-private-eks/lib/errors`.
export { invalid, PrivateEksValidationError } from './private/validation';

/**
 * Helpers to recognise the errors thrown by cdk-private-eks, usable from every jsii language.
 */
export class PrivateEksErrors {
  /**
   * True when `x` is a synth-time validation error of this library.
   * @param x any value caught from a construct
   */
  public static isValidationError(x: unknown): boolean {
    return x instanceof PrivateEksValidationError;
  }

  private constructor() {}
}
