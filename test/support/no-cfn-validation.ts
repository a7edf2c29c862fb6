/**
 * Jest setup for the unit and real-client suites: aws-cdk-lib's built-in CloudFormation validation (about
 * 1.8 s for the first synth in every test file) is off. The example suite (the `synth` project in
 * jest.config.js) keeps it on, so real validation still runs over every example. Validation plugins added
 * with `Validations.of(app).addPlugins` (cdk-nag's packs) run either way.
 */
process.env.CDK_VALIDATION = 'false';
