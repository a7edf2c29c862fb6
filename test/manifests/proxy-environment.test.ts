/** The proxy environment of a namespace (PrivateEksCluster.addProxyEnvironment, lib/manifests/proxy-environment.ts). */
import { Template } from 'aws-cdk-lib/assertions';
import { Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { EndpointPresets, ProxyCredentials, ProxySettings } from '../../lib';
import * as path from 'path';
import {
  CA_CERT_DIR,
  CA_CONFIGMAP_NAME,
  CA_MOUNT_PATH,
  CA_VOLUME_NAME,
  PROXY_CONFIGMAP_NAME,
  PROXY_HASH_ANNOTATION,
} from '../../lib/manifests/proxy-patch';
import { schemaErrors } from '../real-clients/support/kube';
import { proxiedCluster } from '../support/cluster';
import { validationErrorOf } from '../support/errors';
import { WRITER_VARIABLES } from '../../lib/credentials/kubernetes-secret';
import { WRITER_GROUP } from '../../lib/credentials/writer-rbac';

/** A cluster with the proxy `proxy` makes, or none. */
function cluster(proxy?: (stack: Stack) => ProxySettings) {
  return proxiedCluster((stack) => {
    const p = proxy?.(stack);
    return { proxy: p, endpointServices: p?.credentials ? EndpointPresets.withProxyCredentials() : undefined };
  });
}

/** The objects of every KubernetesResource manifest in the template. */
function objects(stack: any): any[] {
  const manifests = Template.fromStack(stack).findResources('Custom::AWSCDK-EKS-KubernetesResource');
  return Object.values(manifests).flatMap((m: any) => {
    const raw = m.Properties.Manifest;
    return JSON.parse(
      typeof raw === 'string'
        ? raw
        : raw['Fn::Join'][1].map((x: any) => (typeof x === 'string' ? x : '"TOKEN"')).join(''),
    );
  });
}

describe('addProxyEnvironment', () => {
  const { stack, cluster: c } = cluster(() => ProxySettings.fromUrl('http://proxy.corp.example:3128'));
  const env = c.addProxyEnvironment('my-app');

  test('writes the ConfigMap into the namespace with the values of kube-system, once', () => {
    const configMaps = objects(stack).filter((o) => o.kind === 'ConfigMap');
    expect(configMaps.map((o) => o.metadata.namespace).sort()).toEqual(['kube-system', 'my-app']);
    expect(configMaps[0].data).toEqual(configMaps[1].data);
    expect(configMaps.every((o) => o.metadata.name === PROXY_CONFIGMAP_NAME)).toBe(true);
    expect(c.addProxyEnvironment('my-app')).toBe(env);
    expect(c.addProxyEnvironment('kube-system').namespace).toBe('kube-system');
    expect(objects(stack).filter((o) => o.kind === 'ConfigMap')).toHaveLength(2);
  });

  test('gives a pod spec its envFrom and the settings hash of the patched DaemonSets', () => {
    expect(env.envFrom()).toEqual([{ configMapRef: { name: PROXY_CONFIGMAP_NAME } }]);
    const patch = Object.values(
      Template.fromStack(stack).findResources('Custom::AWSCDK-EKS-KubernetesPatch'),
    )[0] as any;
    const hash = JSON.parse(patch.Properties.ApplyPatchJson).spec.template.metadata.annotations[PROXY_HASH_ANNOTATION];
    expect(env.podAnnotations()).toEqual({ [PROXY_HASH_ANNOTATION]: hash });
  });

  test('gives a Helm chart whose env is a map the six variables', () => {
    expect(Object.keys(env.envMap()).sort()).toEqual(
      ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'].sort(),
    );
    expect(env.envMap().HTTPS_PROXY).toBe('http://proxy.corp.example:3128');
  });

  test('refuses a bad namespace and a cluster without proxy', () => {
    expect(validationErrorOf(() => c.addProxyEnvironment('My_App')).prop).toBe('namespace');
    expect(validationErrorOf(() => cluster().cluster.addProxyEnvironment('my-app')).prop).toBe('proxy');
  });

  test('with credentials, another namespace gets the Secret from a writer of its own, bound to that namespace only', () => {
    const made = cluster((s) =>
      ProxySettings.fromUrl('http://proxy.corp.example:3128', {
        credentials: ProxyCredentials.fromSecret(
          secretsmanager.Secret.fromSecretCompleteArn(
            s,
            'S',
            'arn:aws:secretsmanager:us-east-1:111122223333:secret:proxy-AbCdEf',
          ),
        ),
      }),
    );
    const withCredentials = made.cluster;
    const app = withCredentials.addProxyEnvironment('my-app');
    expect(app.envFrom()).toEqual([
      { configMapRef: { name: PROXY_CONFIGMAP_NAME } },
      { secretRef: { name: 'proxy-environment-credentials' } },
    ]);
    const template = Template.fromStack(made.stack);
    // Two writers: kube-system's and my-app's, each told its namespace.
    const namespaces = Object.values(template.findResources('AWS::Lambda::Function'))
      .map((f: any) => f.Properties.Environment?.Variables?.[WRITER_VARIABLES.namespace])
      .filter((n) => n !== undefined)
      .sort();
    expect(namespaces).toEqual(['kube-system', 'my-app']);
    // Each access entry puts its writer in a group of its own; each RoleBinding binds its group in its namespace.
    const groups = Object.values(template.findResources('AWS::EKS::AccessEntry'))
      .flatMap((e: any) => e.Properties.KubernetesGroups ?? [])
      .sort();
    expect(groups).toEqual([WRITER_GROUP, `${WRITER_GROUP}:my-app`]);
    const bindings = Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'))
      .flatMap((r: any) => (typeof r.Properties.Manifest === 'string' ? JSON.parse(r.Properties.Manifest) : []))
      .filter((o: any) => o.kind === 'RoleBinding')
      .map((o: any) => [o.metadata.namespace, o.subjects.map((x: any) => x.name)]);
    expect(bindings).toEqual(
      expect.arrayContaining([
        ['kube-system', [WRITER_GROUP]],
        ['my-app', [`${WRITER_GROUP}:my-app`]],
      ]),
    );
    const kubeSystem = withCredentials.addProxyEnvironment('kube-system');
    expect(kubeSystem.envFrom()).toEqual([
      { configMapRef: { name: PROXY_CONFIGMAP_NAME } },
      { secretRef: { name: 'proxy-environment-credentials' } },
    ]);
    expect(validationErrorOf(() => kubeSystem.envMap()).prop).toBe('envMap');
  });
});

describe('a TLS-inspecting proxy: the namespace also gets the CA, and the helper mounts it', () => {
  const caFile = path.join(__dirname, '..', 'fixtures', 'ca', 'inspection-root-ca.pem');
  const made = cluster(() => ProxySettings.fromUrl('http://proxy.corp.example:3128', { caBundleFile: caFile }));
  const env = made.cluster.addProxyEnvironment('apps');

  test('the proxy-ca-bundle ConfigMap is written into the namespace with the canonical bundle', () => {
    const ca = objects(made.stack).filter((o) => o.kind === 'ConfigMap' && o.metadata.name === CA_CONFIGMAP_NAME);
    expect(ca.map((o) => o.metadata.namespace)).toContain('apps');
    const inApps = ca.find((o) => o.metadata.namespace === 'apps');
    expect(Object.values(inApps.data)).toEqual([made.cluster.proxy!.caBundle]);
    expect(env.hasCaBundle).toBe(true);
  });

  test('a Deployment built with the helper is valid (Kubernetes schema) and trusts the CA as the patched pods do', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app', namespace: 'apps' },
      spec: {
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: { labels: { app: 'app' }, annotations: env.podAnnotations() },
          spec: {
            volumes: env.caVolumes(),
            containers: [
              {
                name: 'app',
                image: 'public.ecr.aws/docker/library/busybox:1.37',
                envFrom: env.envFrom(),
                env: env.caEnv(),
                volumeMounts: env.caVolumeMounts(),
              },
            ],
          },
        },
      },
    };
    expect(schemaErrors(deployment)).toEqual([]);
    expect(env.caEnv()).toEqual([{ name: 'SSL_CERT_DIR', value: CA_CERT_DIR }]);
    expect(env.caVolumeMounts()).toEqual([{ name: CA_VOLUME_NAME, mountPath: CA_MOUNT_PATH, readOnly: true }]);
    expect(env.caVolumes()).toEqual([{ name: CA_VOLUME_NAME, configMap: { name: CA_CONFIGMAP_NAME } }]);
  });

  test('without a CA the helper adds nothing', () => {
    const plain = cluster(() => ProxySettings.fromUrl('http://proxy.corp.example:3128')).cluster.addProxyEnvironment(
      'apps',
    );
    expect([plain.caVolumes(), plain.caVolumeMounts(), plain.caEnv(), plain.hasCaBundle]).toEqual([[], [], [], false]);
  });
});
