import { Annotations, Stack, Tokenization } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { invalid } from '../errors';
import { NodeBootstrapInput, NodeFamilySpec, RenderedUserData } from './user-data/family';

/**
 * EC2 limit on user data: 16 KB in raw form, before base64 encoding
 * (EC2 user guide, "Run commands when you launch an EC2 instance with user data input").
 */
export const USER_DATA_MAX_BYTES = 16 * 1024;

/**
 * A family's user data for `input`, after the family's checks: our error for input it cannot serve, and
 * warnings for what it leaves out. Shared by managed and self-managed node groups and Karpenter's
 * EC2NodeClass.
 */
export function renderNodeUserData(
  scope: IConstruct,
  family: NodeFamilySpec,
  input: NodeBootstrapInput,
): RenderedUserData {
  const problem = family.inputProblem(input);
  if (problem) {
    invalid(scope, problem.prop, problem.problem, problem.fix);
  }
  const warning = family.inputWarning(input);
  if (warning) {
    Annotations.of(scope).addWarningV2(`cdk-private-eks:deploy-time-proxy-${family.name}`, warning);
  }
  if ((input.registryMirrors?.mirrors.length ?? 0) > 0 && !family.registryMirrors) {
    Annotations.of(scope).addWarningV2(
      `cdk-private-eks:registry-mirrors-${family.name}`,
      `${family.name} nodes get no registry mirrors for the cluster's imageCache: they pull docker.io, registry.k8s.io and the ` +
        'other cached registries from the upstream (through the proxy, or not at all in a closed network). ' +
        'Name the images with PullThroughCache.imageUri, or use Amazon Linux 2023 nodes, which mirror them',
    );
  }
  return family.render(input);
}

/**
 * Render a family's user data into an `ec2.UserData` (MIME multi-part through `ec2.MultipartUserData`,
 * or a raw document), or undefined when the family has nothing to say. Shared by managed and
 * self-managed node groups.
 */
export function buildNodeUserData(
  scope: IConstruct,
  family: NodeFamilySpec,
  input: NodeBootstrapInput,
): ec2.UserData | undefined {
  const rendered = renderNodeUserData(scope, family, input);
  let userData: ec2.UserData;
  if (rendered.kind === 'raw') {
    userData = ec2.UserData.custom(rendered.body);
  } else {
    if (rendered.parts.length === 0) {
      return undefined;
    }
    const multipart = new ec2.MultipartUserData();
    for (const part of rendered.parts) {
      multipart.addPart(ec2.MultipartBody.fromRawBody({ contentType: part.contentType, body: part.body }));
    }
    userData = multipart;
  }
  checkUserDataSize(scope, userData.render());
  return userData;
}

/**
 * Fail when user data is certainly over EC2's limit, warn when it may be once resolved.
 * @param reserved bytes that something else adds to it (Karpenter's own NodeConfig)
 */
export function checkUserDataSize(scope: IConstruct, text: string, reserved = 0, reservedBy = ''): void {
  const fix =
    'Shorten the NO_PROXY list (use domains such as .corp.example instead of many hosts) or use fewer endpoint services; ' +
    'proxy values given as parameters or imports add about 2.5 KB (their boot-time check): give them as literals, or use a managed node group, whose user data EKS completes';
  // Counted with each token at its marker's length: certainly too large.
  const sizeProblem = userDataSizeProblem(Buffer.byteLength(text, 'utf8') + reserved);
  if (sizeProblem) {
    invalid(scope, 'userData', `${sizeProblem}${reservedBy}`, fix);
  }
  // Counted with each token at the longest it resolves to: too large unless the values are shorter than
  // their bounds (the cluster CA above all), so a warning, not an error.
  const bound = userDataBytesBound(scope, text) + reserved;
  if (userDataSizeProblem(bound)) {
    Annotations.of(scope).addWarningV2(
      'cdk-private-eks:user-data-size',
      `userData can be up to ${bound} bytes once CloudFormation resolves it (the cluster certificate authority counted at 1.5 KB, ` +
        `deploy-time values as base64${reservedBy}), over EC2's limit of ${USER_DATA_MAX_BYTES} bytes: the nodes would fail to launch. ${fix}`,
    );
  }
}

/**
 * The longest a resolved CloudFormation value can be, in bytes, for the values node user data holds: text as
 * is; `Fn::Base64` 4/3 of its content; the region 14 (`ap-southeast-7`, `us-isob-east-1`), the partition and
 * its DNS suffix 16 (`amazonaws.com.cn`); the stack name 128 (CloudFormation's limit); a CIDR block 18
 * (`255.255.255.255/32`); the cluster's certificate authority 1500 (EKS's RSA 2048 CA certificate is a PEM of
 * about 1.05 KB, 1.4 KB as base64); the cluster endpoint 96 (`https://`, 32 hex digits, a cell, the region,
 * `.eks.amazonaws.com.cn`); a load balancer's DNS name 128; anything else 64.
 */
export function resolvedLengthBound(resolved: unknown): number {
  if (typeof resolved === 'string' || typeof resolved === 'number') {
    return Buffer.byteLength(String(resolved), 'utf8');
  }
  if (Array.isArray(resolved)) {
    return resolved.reduce((n: number, x) => n + resolvedLengthBound(x), 0);
  }
  if (resolved === null || typeof resolved !== 'object') {
    return 0;
  }
  const [fn, arg] = Object.entries(resolved)[0] ?? [];
  if (fn === 'Fn::Join' && Array.isArray(arg) && Array.isArray(arg[1])) {
    const [separator, parts] = arg as [string, unknown[]];
    return resolvedLengthBound(parts) + Buffer.byteLength(separator) * Math.max(0, parts.length - 1);
  }
  if (fn === 'Fn::Base64') {
    return Math.ceil(resolvedLengthBound(arg) / 3) * 4;
  }
  if (fn === 'Ref' && typeof arg === 'string' && arg.startsWith('AWS::')) {
    return { 'AWS::Region': 14, 'AWS::StackName': 128, 'AWS::StackId': 256 }[arg] ?? 16;
  }
  const attribute = fn === 'Fn::GetAtt' && Array.isArray(arg) ? arg[1] : undefined;
  const bounds: Record<string, number> = { CidrBlock: 18, CertificateAuthorityData: 1500, Endpoint: 96, DNSName: 128 };
  return (typeof attribute === 'string' ? bounds[attribute] : undefined) ?? 64;
}

/**
 * The most bytes rendered user data can have once resolved: its text, and each token at
 * `resolvedLengthBound` (a token that cannot be resolved yet, such as the Auto Scaling group's logical id
 * in a self-managed group's signal, at 64). Counting tokens at their marker length (about 20 bytes) would
 * miss the cluster's certificate authority (1.4 KB) and the
 * base64 of deploy-time values.
 */
export function userDataBytesBound(scope: IConstruct, rendered: string): number {
  const stack = Stack.of(scope);
  const bound = (token: unknown): number => {
    try {
      return resolvedLengthBound(stack.resolve(token));
    } catch {
      return 64;
    }
  };
  const sized: string = Tokenization.reverseString(rendered)
    .mapTokens({ mapToken: (token) => ' '.repeat(bound(token)) })
    .join({ join: (left: unknown, right: unknown) => `${String(left)}${String(right)}` });
  return Buffer.byteLength(sized, 'utf8');
}

/** Why user data of `bytes` (at most, once resolved: `userDataBytesBound`) is too large for EC2, or undefined. */
export function userDataSizeProblem(bytes: number): string | undefined {
  return bytes > USER_DATA_MAX_BYTES
    ? `is ${bytes} bytes, over the EC2 limit of ${USER_DATA_MAX_BYTES} bytes`
    : undefined;
}
