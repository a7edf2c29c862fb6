/**
 * Where proxy credentials are read at run time: the input of the node boothook's credentials fragment
 * (and the same three facts the kubectl handler and the Kubernetes Secret writer get). Pure data.
 */
export interface ProxySecretReference {
  /** ARN of the Secrets Manager secret (a JSON object). */
  readonly secretArn: string;

  /** The JSON key of the user name. */
  readonly usernameKey: string;

  /** The JSON key of the password. */
  readonly passwordKey: string;

  /**
   * `ProxyCredentials.revision` in base64 (a deploy-time `Fn::Base64` when the revision is a token). The
   * Amazon Linux boothook carries it in a comment line, so that a new revision changes the launch
   * template's user data and the node groups replace their nodes, which then read the rotated secret.
   * It is never run as shell: a value with a line break is refused.
   *
   * @default - no revision: the user data does not change when the secret is rotated
   */
  readonly revisionBase64?: string;
}
