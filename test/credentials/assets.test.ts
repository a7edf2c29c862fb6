/** The two Lambda assets of lib/credentials/ (assets.ts): staged from one Python source, stable between synths. */
import * as fs from 'fs';
import * as path from 'path';
import { credentialsLayerDir, secretWriterHandlerDir } from '../../lib/credentials/assets';

const SHARED = path.join(__dirname, '..', '..', 'lib', 'credentials', 'python', 'proxy_auth.py');

test('both assets carry the one proxy_auth.py, byte for byte', () => {
  const source = fs.readFileSync(SHARED);
  expect(fs.readFileSync(path.join(credentialsLayerDir(), 'cdk-private-eks', 'proxy_auth.py'))).toEqual(source);
  expect(fs.readFileSync(path.join(secretWriterHandlerDir(), 'proxy_auth.py'))).toEqual(source);
});

test('each asset holds exactly its files, and staging again gives the same directory', () => {
  const list = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      // Byte code of a local test run is excluded from the Lambda asset (kubectl-handler.ts, kubernetes-secret.ts).
      .filter((e) => e.name !== '__pycache__')
      .flatMap((e) => (e.isDirectory() ? list(path.join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name]))
      .sort();
  expect(list(credentialsLayerDir())).toEqual([
    'cdk-private-eks/proxy-credentials-wrapper',
    'cdk-private-eks/proxy_auth.py',
  ]);
  expect(list(secretWriterHandlerDir())).toEqual(['index.py', 'proxy_auth.py']);
  expect(credentialsLayerDir()).toBe(credentialsLayerDir());
  expect(secretWriterHandlerDir()).toBe(secretWriterHandlerDir());
});
