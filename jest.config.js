/**
 * Three projects, so that each pays only for what it needs:
 * - unit: constructs, renderers and cdk-nag over every example (nag.test.ts: cdk-nag's packs are validation
 *   plugins, which run whatever CDK_VALIDATION says), aws-cdk-lib's CloudFormation validation off
 *   (test/support/no-cfn-validation.ts);
 * - synth: every example app (snapshots, security defaults) with the validation on, so that each example is
 *   validated once (running it in nag.test.ts too cost 5 s of CPU for the same templates);
 * - real-clients: the real programs (root; Debian tools), with the examples synthesized and the Go programs
 *   compiled once per run (test/real-clients/global-setup.ts); the validation off too for the stacks its
 *   suites build themselves (its first run in a test file cost about a second).
 * `npm run test:unit` runs the first two, `npm run test:real` the third, `npm test` all.
 * @type {import('jest').Config}
 */
const common = {
  testEnvironment: 'node',
  testTimeout: 120000,
  // SWC strips the types, with the options the example apps run with (scripts/swc-options.js); no type check
  // here: `npm run typecheck` and the jsii build do that. On a cold cache, as in CI's fresh clone, the whole
  // run took 138 s against ts-jest's 150 s (2 cores, same machine).
  transform: { '^.+\\.ts$': ['@swc/jest', require('./scripts/swc-options')] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  snapshotSerializers: ['<rootDir>/test/support/mask-serializer.js'],
  setupFilesAfterEnv: ['<rootDir>/test/support/remove-outdirs.ts'],
};

const SYNTH_SUITES = ['<rootDir>/test/examples.test.ts'];

// The workers run without V8's optimizing compiler (TurboFan): each test file loads aws-cdk-lib afresh into its own
// module registry and runs it briefly, so TurboFan's work is rarely paid back. In a full run it was 13 s of CPU
// (perf, 2-core VM); the unit and synth projects took 36.3-39.4 s with it off against 40.8-45.8 s with it on (four
// interleaved runs each; CPU 71-77 s against 80-89 s). jest-worker forks the workers with this process's execArgv,
// so the flag reaches them and nothing else (the programs the tests run start without it).
if (!process.execArgv.includes('--no-opt')) {
  process.execArgv.push('--no-opt');
}

module.exports = {
  // Jest's default on 2 cores is one worker; the real-client suites mostly wait on child processes
  // (sandboxes, Squid, curl), so three workers keep both cores busy (measured: 58 s against 114 s).
  maxWorkers: 3,
  // A worker leaves its event loop at once when the run ends, but the kernel then takes 430-650 ms to tear down
  // its 0.7-1 GB (measured at the end of full runs on this 2-core VM): past jest's 500 ms, jest killed it and
  // printed "A worker process has failed to exit gracefully", which was only this teardown.
  workerGracefulExitTimeout: 3000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/real-clients/', ...SYNTH_SUITES],
      setupFiles: ['<rootDir>/test/support/no-cfn-validation.ts'],
    },
    {
      ...common,
      displayName: 'synth',
      roots: ['<rootDir>/test'],
      testMatch: SYNTH_SUITES,
    },
    {
      ...common,
      displayName: 'real-clients',
      roots: ['<rootDir>/test/real-clients'],
      testMatch: ['**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/no-cfn-validation.ts'],
      globalSetup: '<rootDir>/test/real-clients/global-setup.ts',
      globalTeardown: '<rootDir>/test/real-clients/global-teardown.ts',
    },
  ],
};
