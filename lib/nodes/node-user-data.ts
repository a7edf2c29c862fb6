import { Annotations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { invalid } from '../errors';
import { NodeBootstrapInput, NodeFamilySpec } from './user-data/family';

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
  const sizeProblem = userDataSizeProblem(userData.render());
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
 * Why rendered user data is too large for EC2, or undefined. Token markers (a VPC CIDR, the region)
 * count at their marker length (about 25 bytes), close to or above their resolved length.
 */
export function userDataSizeProblem(rendered: string): string | undefined {
  const bytes = Buffer.byteLength(rendered, 'utf8');
  return bytes > USER_DATA_MAX_BYTES
    ? `is ${bytes} bytes, over the EC2 limit of ${USER_DATA_MAX_BYTES} bytes`
    : undefined;
}
