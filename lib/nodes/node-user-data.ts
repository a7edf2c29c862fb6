import { Annotations, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { invalid } from '../errors';
import { SECRET_ARN_VALUE } from './user-data/boothook';
import { NodeBootstrapInput, NodeFamilySpec, NodeProxy } from './user-data/family';

/**
 * EC2 limit on user data: 16 KB in raw form, before base64 encoding
 * (EC2 user guide, "Run commands when you launch an EC2 instance with user data input").
 */
export const USER_DATA_MAX_BYTES = 16 * 1024;

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
  const problem = family.inputProblem(input);
  if (problem) {
    invalid(scope, problem.prop, problem.problem, problem.fix);
  }
  const warning = family.inputWarning(input);
  if (warning) {
    Annotations.of(scope).addWarningV2(`cdk-private-eks:deploy-time-proxy-${family.name}`, warning);
  }
  const rendered = family.render(input);
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
  // Only the boothook (Amazon Linux) carries the deploy-time values as base64.
  const boothook =
    rendered.kind === 'mime' && rendered.parts.some((p) => p.contentType.startsWith('text/cloud-boothook'));
  const sizeProblem = userDataSizeProblem(userData.render(), boothook ? deployTimeExpansion(scope, input.proxy) : 0);
  if (sizeProblem) {
    invalid(
      scope,
      'userData',
      sizeProblem,
      'Shorten the NO_PROXY list (use domains such as .corp.example instead of many hosts) or use fewer endpoint services',
    );
  }
  return userData;
}

/**
 * The longest a resolved CloudFormation value can be, in bytes: text as is; the region and the partition's
 * DNS suffix at their longest (`ap-southeast-7`, `amazonaws.com.cn`: 16 is enough for both); a CIDR block
 * 18 (`255.255.255.255/32`); a load balancer's DNS name 128; any other reference 64. An upper bound for the
 * values the library puts into the boothook (NO_PROXY, the proxy URLs, the secret's ARN).
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
  if (fn === 'Ref' && (arg === 'AWS::Region' || arg === 'AWS::URLSuffix' || arg === 'AWS::Partition')) {
    return 16;
  }
  const attribute = fn === 'Fn::GetAtt' && Array.isArray(arg) ? arg[1] : undefined;
  return attribute === 'CidrBlock' ? 18 : attribute === 'DNSName' ? 128 : 64;
}

/**
 * How many bytes the boothook's deploy-time values add once CloudFormation resolves them: each is one token
 * marker in the rendered text but becomes the base64 of its value, 4/3 of the value's length (bounded by
 * `resolvedLengthBound`).
 */
export function deployTimeExpansion(scope: IConstruct, proxy: NodeProxy | undefined): number {
  const stack = Stack.of(scope);
  return Object.entries(proxy?.deployTimeBase64 ?? {}).reduce((bytes, [name, base64]) => {
    const value = name === SECRET_ARN_VALUE ? (proxy?.credentials?.secretArn ?? '') : (proxy?.environment[name] ?? '');
    const length = resolvedLengthBound(stack.resolve(value));
    return bytes + Math.ceil(length / 3) * 4 - Buffer.byteLength(base64, 'utf8');
  }, 0);
}

/**
 * Why rendered user data is too large for EC2, or undefined. Token markers (a VPC CIDR, the region)
 * count at their marker length (about 25 bytes), close to or above their resolved length; `extraBytes` adds
 * what the markers of the boothook's base64 words grow by (see `deployTimeExpansion`).
 */
export function userDataSizeProblem(rendered: string, extraBytes = 0): string | undefined {
  const bytes = Buffer.byteLength(rendered, 'utf8') + extraBytes;
  return bytes > USER_DATA_MAX_BYTES
    ? `is ${bytes} bytes, over the EC2 limit of ${USER_DATA_MAX_BYTES} bytes`
    : undefined;
}
