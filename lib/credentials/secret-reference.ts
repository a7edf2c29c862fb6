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
}
