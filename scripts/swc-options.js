/**
 * The one set of SWC options this repository strips TypeScript types with: jest's transform (jest.config.js)
 * and the TypeScript runner of the example apps (scripts/run-ts.js). Types are only stripped, never checked
 * here: `npm run typecheck` and the jsii build do that.
 */
'use strict';

module.exports = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
