/** The variable that carries the cdk.out the real-client global setup synthesized for every worker. */
export const SYNTH_DIR_VARIABLE = 'CDK_PRIVATE_EKS_SYNTH_DIR';

/**
 * The variable that names the run's shared cache (support/run-cache.ts): what a real program made of an
 * input (cloud-init's split of a user data, the /etc/environment a boothook writes), once per run,
 * whichever suite needs it first; the others read its result.
 */
export const RUN_CACHE_VARIABLE = 'CDK_PRIVATE_EKS_RUN_CACHE';
