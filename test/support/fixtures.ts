/** The real upstream objects the tests apply our output to (see test/fixtures/README.md for their sources). */
import * as path from 'path';

/** The DaemonSet fixtures: `aws-node.yaml`, `kube-proxy.yaml`. */
export const DAEMONSET_FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'daemonsets');
