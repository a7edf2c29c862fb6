/**
 * Jest setup for the unit suites: aws-cdk-lib's built-in CloudFormation validation (about 1.8 s for the
 * first synth in every test file) is off. The example and cdk-nag suites (the `synth` project in
 * jest.config.js) keep it on, so real validation still runs over every example.
 */
process.env.CDK_VALIDATION = 'false';
