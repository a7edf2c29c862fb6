/** The variable that carries the cdk.out the real-client global setup synthesized for every worker. */
export const SYNTH_DIR_VARIABLE = 'CDK_PRIVATE_EKS_SYNTH_DIR';
