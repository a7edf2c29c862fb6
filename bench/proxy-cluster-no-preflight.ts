/**
 * examples/proxy-cluster with the preflight turned off: the benchmark synthesizes it beside the example to
 * show what the preflight adds (functions, cdk.out bytes, synth time).
 */
import { App } from 'aws-cdk-lib';
import { ProxyClusterStack } from '../examples/proxy-cluster/app';

const app = new App();
new ProxyClusterStack(app, 'PrivateEksProxyExample', { preflight: { enabled: false } });
app.synth();
