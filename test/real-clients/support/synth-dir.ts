/** The variable that carries the cdk.out the real-client global setup synthesized for every worker. */
export const SYNTH_DIR_VARIABLE = 'CDK_PRIVATE_EKS_SYNTH_DIR';

/**
 * The variable that names the run's shared cache of cloud-init's splits (support/cloudinit.ts): cloud-init
 * parses each distinct user data once per run, whichever suite needs it first; the others read its result.
 */
export const CLOUD_INIT_CACHE_VARIABLE = 'CDK_PRIVATE_EKS_CLOUD_INIT_CACHE';
