import { App, AppProps, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { newOutdir } from './outdir';

/**
 * An App for tests: its synth does not copy the ~60 MB of kubectl and AWS CLI layers into cdk.out (tests
 * look at templates, not at asset bundles), and its constructs record no stack traces, as under the CLI
 * without --debug (capturing one per construct, source-mapped by jest, was a tenth of the unit suites' CPU).
 * Its cloud assembly goes to a directory removed after the test file (support/outdir.ts), unless `outdir`
 * says where.
 */
export function testApp(props: AppProps = {}): App {
  return new App({
    ...props,
    outdir: props.outdir ?? newOutdir(),
    stackTraces: false,
    context: {
      [cxapi.DISABLE_ASSET_STAGING_CONTEXT]: true,
      [cxapi.DISABLE_CREATION_STACK_TRACES]: true,
      ...props.context,
    },
  });
}

/**
 * A stack, env-agnostic unless a region is given (then with a placeholder account), in a test app with `context`
 * (feature flags, say) on top of testApp's.
 */
export function testStack(region?: string, context: Record<string, unknown> = {}): Stack {
  return new Stack(testApp({ context }), 'Test', region ? { env: { account: '111122223333', region } } : {});
}

/** A VPC like the examples': isolated subnets only, two AZs. */
export function isolatedVpc(stack: Stack, cidr = '10.0.0.0/16', props: Partial<ec2.VpcProps> = {}): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr(cidr),
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
    ...props,
  });
}

/** A stand-in kubectl layer: the real one is a 38 MB asset that the tests do not need. */
export function fakeKubectlLayer(stack: Stack): lambda.ILayerVersion {
  return lambda.LayerVersion.fromLayerVersionArn(
    stack,
    'KubectlLayer',
    'arn:aws:lambda:us-east-1:111122223333:layer:kubectl:1',
  );
}

/** Wrap a template so the masking serializer handles it in snapshots. */
export function masked(template: object): object {
  return { __maskAssets: true, ...template };
}

/**
 * A template's string property (a literal or an `Fn::Join` of literals and tokens) as text, each token as
 * `<TOKEN>`: what a manifest or Helm values look like before CloudFormation resolves them.
 */
export function tokenText(value: any): string {
  return typeof value === 'string'
    ? value
    : value['Fn::Join'][1].map((part: unknown) => (typeof part === 'string' ? part : '<TOKEN>')).join('');
}
