import { PrivateEksErrors } from '../../lib';
import { PrivateEksValidationError } from '../../lib/errors';

/** Run `build`, assert it threw this library's validation error, and return the error. */
export function validationErrorOf(build: () => unknown): PrivateEksValidationError {
  let error: unknown;
  try {
    build();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PrivateEksValidationError);
  expect(PrivateEksErrors.isValidationError(error)).toBe(true);
  return error as PrivateEksValidationError;
}
