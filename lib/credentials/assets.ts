import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * The two Lambda assets that handle proxy credentials, each staged at synth time from the Python
 * sources in `python/`, so that both carry the same `proxy_auth.py` (one source file, no copies in
 * the repository). A staged directory is named by the hash of its content: the same sources give the
 * same directory, hence the same asset hash, on every synth.
 */

const SOURCES = path.join(__dirname, 'python');

/** Where the exec wrapper lands in a Lambda function (layers are extracted to /opt). */
export const CREDENTIALS_WRAPPER_PATH = '/opt/cdk-private-eks/proxy-credentials-wrapper';

/**
 * The Lambda layer with the exec wrapper (`AWS_LAMBDA_EXEC_WRAPPER`) that puts the credentials into
 * the kubectl handler's proxy URLs at cold start: `cdk-private-eks/proxy-credentials-wrapper` and
 * `cdk-private-eks/proxy_auth.py`.
 */
export function credentialsLayerDir(): string {
  return stage('layer', [
    { from: 'proxy-credentials-wrapper', to: 'cdk-private-eks/proxy-credentials-wrapper', mode: 0o755 },
    { from: 'proxy_auth.py', to: 'cdk-private-eks/proxy_auth.py', mode: 0o644 },
  ]);
}

/** The code of the function that writes the Kubernetes Secret: `index.py` and `proxy_auth.py`. */
export function secretWriterHandlerDir(): string {
  return stage('secret-writer', [
    { from: 'secret_writer.py', to: 'index.py', mode: 0o644 },
    { from: 'proxy_auth.py', to: 'proxy_auth.py', mode: 0o644 },
  ]);
}

interface StagedFile {
  readonly from: string;
  readonly to: string;
  readonly mode: number;
}

function stage(name: string, files: StagedFile[]): string {
  return stageData(
    name,
    files.map((f) => ({ to: f.to, mode: f.mode, data: fs.readFileSync(path.join(SOURCES, f.from)) })),
  );
}

/**
 * Stage files given by content in a directory named by their hash (see the file comment): the same content
 * gives the same directory, hence the same asset hash, on every synth.
 */
export function stageData(name: string, contents: Array<{ to: string; mode: number; data: Buffer }>): string {
  const hash = createHash('sha256');
  contents.forEach((f) => hash.update(`${f.to}\0${f.mode}\0`).update(f.data).update('\0'));
  const dir = path.join(os.tmpdir(), 'cdk-private-eks-assets', `${name}-${hash.digest('hex').slice(0, 16)}`);
  if (fs.existsSync(dir)) {
    return dir;
  }
  // Written aside and renamed into place, so that parallel synths never see a half-written directory.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  for (const f of contents) {
    const target = path.join(tmp, f.to);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.data);
    fs.chmodSync(target, f.mode);
  }
  fs.chmodSync(tmp, 0o755);
  try {
    fs.renameSync(tmp, dir);
  } catch {
    // Another process staged the same content first.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}
