import { Match } from 'aws-cdk-lib/assertions';
import { masked } from './support/cdk';
import { EXAMPLES, exampleTemplate } from './support/examples';

describe.each(Object.keys(EXAMPLES))('example %s', (name) => {
  test('matches its snapshot (asset hashes masked)', () => {
    expect(masked(exampleTemplate(name).toJSON())).toMatchSnapshot();
  });

  test('has a private-only cluster and one AL2023 node group with IMDSv2 and an encrypted gp3 root volume', () => {
    const template = exampleTemplate(name);
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false }),
    });
    template.resourceCountIs('AWS::EKS::Nodegroup', 1);
    template.hasResourceProperties('AWS::EKS::Nodegroup', { AmiType: Match.stringLikeRegexp('^AL2023_') });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true, VolumeType: 'gp3' }) })],
      }),
    });
  });
});

test('the China example uses China service names and the amazonaws.com.cn suffix', () => {
  const template = exampleTemplate('china-region');
  template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'cn.com.amazonaws.cn-northwest-1.ecr.api' });
  const handler = template.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: Match.objectLike({ NO_PROXY: Match.stringLikeRegexp('api.ecr.cn-northwest-1.amazonaws.com.cn') }) } },
  });
  expect(Object.keys(handler)).toHaveLength(1);
});

test('the closed-network example has no proxy anywhere', () => {
  const text = JSON.stringify(exampleTemplate('closed-network').toJSON());
  expect(text).not.toMatch(/HTTPS?_PROXY/);
  exampleTemplate('closed-network').resourceCountIs('Custom::AWSCDK-EKS-KubernetesPatch', 0);
});
