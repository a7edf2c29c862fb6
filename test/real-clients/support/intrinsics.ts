/**
 * A small CloudFormation intrinsic-function resolver for tests: it turns the parts of a synthesized
 * template we feed to real programs (user data, manifests, patches) into the strings CloudFormation
 * would produce, with realistic test values for pseudo parameters and resource ids.
 *
 * Strict on purpose: an intrinsic it does not know (Fn::ImportValue, Fn::FindInMap, ...) or a Ref to
 * something that is neither a pseudo parameter nor a resource throws, so a new construct in the
 * template can never be silently resolved to nonsense.
 */
import { createHash } from 'crypto';

/** The deployment the template is resolved for. */
export interface DeployTarget {
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
  /**
   * Attribute values to use instead of the modelled ones, for resources whose logical id starts with
   * `logicalIdPrefix` (e.g. an internal load balancer's DNSName). `{region}` and `{urlSuffix}` are filled in.
   */
  readonly attributes?: ReadonlyArray<{
    readonly logicalIdPrefix: string;
    readonly attribute: string;
    readonly value: string;
  }>;
}

/** Partition and DNS suffix of a region (enough of region-info for the regions the tests use). */
export function partitionOf(region: string): { partition: string; urlSuffix: string } {
  if (region.startsWith('cn-')) {
    return { partition: 'aws-cn', urlSuffix: 'amazonaws.com.cn' };
  }
  if (region.startsWith('us-gov-')) {
    return { partition: 'aws-us-gov', urlSuffix: 'amazonaws.com' };
  }
  return { partition: 'aws', urlSuffix: 'amazonaws.com' };
}

/** The fake API server id every resolved cluster endpoint uses (32 upper-case hex digits, like EKS). */
export const FAKE_CLUSTER_ENDPOINT_ID = 'ABCDEF0123456789ABCDEF0123456789';

/** Physical-id prefixes of the EC2 resources, as AWS writes them. */
const EC2_ID_PREFIX: Record<string, string> = {
  'AWS::EC2::VPC': 'vpc',
  'AWS::EC2::Subnet': 'subnet',
  'AWS::EC2::RouteTable': 'rtb',
  'AWS::EC2::SecurityGroup': 'sg',
  'AWS::EC2::LaunchTemplate': 'lt',
  'AWS::EC2::VPCEndpoint': 'vpce',
  'AWS::EC2::InternetGateway': 'igw',
  'AWS::EC2::NatGateway': 'nat',
  'AWS::EC2::EIP': 'eipalloc',
};

function hex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** Letters and digits derived from a seed, like the random parts of generated names. */
function alnum(seed: string, length: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...createHash('sha256').update(seed).digest()]
    .slice(0, length)
    .map((b) => chars[b % chars.length])
    .join('');
}

/** Resolves intrinsics of one template for one deploy target. */
export class IntrinsicResolver {
  private readonly resources: Record<string, any>;
  private readonly partition: string;
  private readonly urlSuffix: string;

  constructor(
    private readonly template: any,
    private readonly target: DeployTarget,
  ) {
    this.resources = template.Resources ?? {};
    ({ partition: this.partition, urlSuffix: this.urlSuffix } = partitionOf(target.region));
  }

  /** Resolve every intrinsic in `value` (deeply). */
  public resolve(value: any): any {
    if (Array.isArray(value)) {
      return value.map((v) => this.resolve(v));
    }
    if (value === null || typeof value !== 'object') {
      return value;
    }
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0].startsWith('Fn::'))) {
      return this.intrinsic(keys[0], value[keys[0]]);
    }
    const out: Record<string, any> = {};
    for (const k of keys) {
      out[k] = this.resolve(value[k]);
    }
    return out;
  }

  /** Resolve a value that must come out as a string. */
  public resolveString(value: any): string {
    const r = this.resolve(value);
    if (typeof r !== 'string') {
      throw new Error(`expected a string, got ${JSON.stringify(r).slice(0, 200)}`);
    }
    return r;
  }

  private intrinsic(fn: string, arg: any): any {
    switch (fn) {
      case 'Ref':
        return this.ref(arg);
      case 'Fn::Join': {
        const [sep, parts] = arg;
        return this.resolve(parts)
          .map((p: any) => this.str(p, fn))
          .join(sep);
      }
      case 'Fn::Base64':
        return Buffer.from(this.str(this.resolve(arg), fn), 'utf8').toString('base64');
      case 'Fn::Select': {
        const [index, list] = arg;
        const l = this.resolve(list);
        const i = Number(this.resolve(index));
        if (!Array.isArray(l) || i < 0 || i >= l.length) {
          throw new Error(`Fn::Select index ${i} out of range`);
        }
        return l[i];
      }
      case 'Fn::Split': {
        const [sep, source] = arg;
        return this.str(this.resolve(source), fn).split(sep);
      }
      case 'Fn::GetAZs': {
        const region = this.resolve(arg) || this.target.region;
        return ['a', 'b', 'c'].map((s) => `${region}${s}`);
      }
      case 'Fn::GetAtt': {
        const [logicalId, attr] = Array.isArray(arg) ? arg : String(arg).split(/\.(.+)/);
        return this.getAtt(logicalId, attr);
      }
      case 'Fn::Sub':
        return this.sub(arg);
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg;
        return this.resolve(this.condition(condition) ? whenTrue : whenFalse);
      }
      case 'Condition':
        return this.condition(arg);
      case 'Fn::Equals': {
        const [a, b] = this.resolve(arg);
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not':
        return !this.bool(this.resolve(arg[0]));
      case 'Fn::And':
        return this.resolve(arg).every((c: any) => this.bool(c));
      case 'Fn::Or':
        return this.resolve(arg).some((c: any) => this.bool(c));
      case 'Fn::Contains': {
        const [list, value] = this.resolve(arg);
        return list.includes(value);
      }
      default:
        throw new Error(`unsupported intrinsic ${fn}`);
    }
  }

  private condition(name: string): boolean {
    const c = (this.template.Conditions ?? {})[name];
    if (c === undefined) {
      throw new Error(`unknown condition ${name}`);
    }
    return this.bool(this.resolve(c));
  }

  private bool(v: any): boolean {
    if (typeof v !== 'boolean') {
      throw new Error(`expected a condition value, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  private str(v: any, where: string): string {
    if (typeof v === 'string') {
      return v;
    }
    if (typeof v === 'number') {
      return String(v);
    }
    throw new Error(`${where}: expected a string, got ${JSON.stringify(v).slice(0, 200)}`);
  }

  private sub(arg: any): string {
    const [text, vars] = typeof arg === 'string' ? [arg, {}] : arg;
    return (text as string).replace(/\$\{([^}!][^}]*)\}/g, (_m, name: string) => {
      if (vars && name in vars) {
        return this.str(this.resolve(vars[name]), 'Fn::Sub');
      }
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) {
        return this.str(this.getAtt(name.slice(0, dot), name.slice(dot + 1)), 'Fn::Sub');
      }
      return this.str(this.ref(name), 'Fn::Sub');
    });
  }

  private ref(name: string): any {
    switch (name) {
      case 'AWS::Region':
        return this.target.region;
      case 'AWS::AccountId':
        return this.target.account;
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::URLSuffix':
        return this.urlSuffix;
      case 'AWS::StackName':
        return this.target.stackName;
      case 'AWS::StackId':
        return (
          `arn:${this.partition}:cloudformation:${this.target.region}:${this.target.account}:stack/${this.target.stackName}/` +
          `${hex(this.target.stackName, 8)}-${hex('a' + this.target.stackName, 4)}-11ef-${hex('b' + this.target.stackName, 4)}-${hex('c' + this.target.stackName, 12)}`
        );
      case 'AWS::NoValue':
        return undefined;
      default:
        break;
    }
    const params = this.template.Parameters ?? {};
    if (name in params) {
      const p = params[name];
      if (p.Default === undefined) {
        throw new Error(`parameter ${name} has no default`);
      }
      return p.Default;
    }
    const res = this.resources[name];
    if (!res) {
      throw new Error(`Ref to unknown logical id ${name}`);
    }
    return this.physicalId(name, res);
  }

  private physicalId(logicalId: string, res: any): string {
    const prefix = EC2_ID_PREFIX[res.Type];
    if (prefix) {
      return `${prefix}-0${hex(logicalId, 16)}`;
    }
    const props = res.Properties ?? {};
    if (res.Type === 'AWS::EKS::Cluster' && typeof props.Name === 'string') {
      return props.Name;
    }
    const { region, account } = this.target;
    if (res.Type === 'AWS::SecretsManager::Secret') {
      // Ref of a secret is its ARN: a generated name, then '-' and six random characters.
      const name = typeof props.Name === 'string' ? props.Name : `${logicalId}-${alnum(logicalId, 12)}`;
      return `arn:${this.partition}:secretsmanager:${region}:${account}:secret:${name}-${alnum('suffix' + logicalId, 6)}`;
    }
    if (res.Type === 'AWS::SQS::Queue') {
      // Ref of a queue is its URL (CloudFormation user guide, AWS::SQS::Queue return values).
      return `https://sqs.${region}.${this.urlSuffix}/${account}/${this.queueName(logicalId)}`;
    }
    if (res.Type === 'AWS::KMS::Key') {
      // Ref of a key is its key id (a UUID).
      const h = hex(logicalId, 32);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
    }
    // CloudFormation's generated names: <stack>-<logical id>-<random>.
    return `${this.target.stackName}-${logicalId}-${hex(logicalId, 12).toUpperCase()}`.slice(0, 63);
  }

  /** A queue's generated name: <stack>-<logical id>-<random>, at most 80 characters. */
  private queueName(logicalId: string): string {
    return `${this.target.stackName}-${logicalId}-${hex(logicalId, 12).toUpperCase()}`.slice(0, 80);
  }

  private getAtt(logicalId: string, attr: string): any {
    const res = this.resources[logicalId];
    if (!res) {
      throw new Error(`Fn::GetAtt to unknown logical id ${logicalId}`);
    }
    const override = (this.target.attributes ?? []).find(
      (a) => logicalId.startsWith(a.logicalIdPrefix) && a.attribute === attr,
    );
    if (override) {
      return override.value.replace(/\{region\}/g, this.target.region).replace(/\{urlSuffix\}/g, this.urlSuffix);
    }
    const id = this.physicalId(logicalId, res);
    const { region, account } = this.target;
    const p = this.partition;
    switch (`${res.Type}.${attr}`) {
      case 'AWS::EC2::VPC.CidrBlock':
        return this.resolve(res.Properties.CidrBlock);
      case 'AWS::EC2::VPC.CidrBlockAssociations':
        return [`vpc-cidr-assoc-0${hex(logicalId, 16)}`];
      case 'AWS::EC2::VPC.DefaultSecurityGroup':
        return `sg-0${hex(logicalId + 'default-sg', 16)}`;
      case 'AWS::EKS::Cluster.Endpoint':
        return `https://${FAKE_CLUSTER_ENDPOINT_ID}.gr7.${region}.eks.${this.urlSuffix}`;
      case 'AWS::EKS::Cluster.Arn':
        return `arn:${p}:eks:${region}:${account}:cluster/${id}`;
      case 'AWS::EKS::Cluster.ClusterSecurityGroupId':
        return `sg-0${hex(logicalId + 'csg', 16)}`;
      case 'AWS::EKS::Cluster.CertificateAuthorityData':
        return Buffer.from(`-----BEGIN CERTIFICATE-----\nfake ${logicalId}\n-----END CERTIFICATE-----\n`).toString(
          'base64',
        );
      case 'AWS::EKS::Cluster.OpenIdConnectIssuerUrl':
        return `https://oidc.eks.${region}.${this.urlSuffix}/id/${FAKE_CLUSTER_ENDPOINT_ID}`;
      case 'AWS::EC2::SecurityGroup.GroupId':
        return id;
      case 'AWS::EC2::LaunchTemplate.LatestVersionNumber':
      case 'AWS::EC2::LaunchTemplate.DefaultVersionNumber':
        return '1';
      case 'AWS::IAM::Role.Arn':
        return `arn:${p}:iam::${account}:role/${id}`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:${p}:lambda:${region}:${account}:function:${id}`;
      case 'AWS::Lambda::LayerVersion.LayerVersionArn':
        return `arn:${p}:lambda:${region}:${account}:layer:${id}:1`;
      case 'AWS::KMS::Key.Arn':
        return `arn:${p}:kms:${region}:${account}:key/${id}`;
      case 'AWS::SQS::Queue.QueueName':
        return this.queueName(logicalId);
      case 'AWS::SQS::Queue.Arn':
        return `arn:${p}:sqs:${region}:${account}:${this.queueName(logicalId)}`;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer.DNSName': {
        // ELB names: [internal-]<name>-<id>.<region>.elb.<suffix>.
        const internal = res.Properties?.Scheme === 'internal' ? 'internal-' : '';
        return `${internal}${logicalId.slice(0, 20).toLowerCase()}-${parseInt(hex(logicalId, 8), 16)}.${region}.elb.${this.urlSuffix}`;
      }
      default:
        if (attr === 'Arn') {
          const service = res.Type.split('::')[1].toLowerCase();
          return `arn:${p}:${service}:${region}:${account}:${id}`;
        }
        throw new Error(`Fn::GetAtt ${res.Type}.${attr} is not modelled by the test resolver`);
    }
  }
}

/** The resources of a template of one CloudFormation type, by logical id. */
export function resourcesOfType(template: any, type: string): Array<[string, any]> {
  return Object.entries(template.Resources ?? {}).filter(([, r]: [string, any]) => r.Type === type) as Array<
    [string, any]
  >;
}
