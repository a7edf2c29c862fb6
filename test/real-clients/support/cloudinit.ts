/**
 * User data as cloud-init sees it: parts split by cloud-init 22.4's own MIME processing, and each
 * boothook as the file cloud-init would write and execute.
 */
import * as fs from 'fs';
import * as path from 'path';
import { launchTemplates, Deployment } from './examples';
import { PYTHON, removeDir, runOk, SUPPORT_DIR, tempDir } from './proc';

export interface UserDataPart {
  readonly contentType: string;
  readonly filename: string;
  readonly payload: string;
  /** The script cloud-init writes for a text/cloud-boothook part (and then executes). */
  readonly boothookScript?: string;
  /** Its file mode, e.g. 0o700. */
  readonly boothookMode?: string;
}

/** Split user data with cloudinit.user_data.UserDataProcessor and cloudinit.handlers.walk. */
export function cloudInitParts(userData: string): UserDataPart[] {
  const dir = tempDir('cloudinit');
  try {
    const out = runOk(PYTHON, [path.join(SUPPORT_DIR, 'cloudinit_parts.py'), dir], { input: userData, timeout: 60_000 });
    const parsed = JSON.parse(out) as { parts: any[] };
    return parsed.parts.map((p) => ({
      contentType: p.contentType,
      filename: p.filename,
      payload: p.payload,
      boothookScript: p.boothookFile ? fs.readFileSync(p.boothookFile, 'utf8') : undefined,
      boothookMode: p.boothookMode,
    }));
  } finally {
    removeDir(dir);
  }
}

/** The boothook scripts of a deployment's launch templates, as cloud-init writes them. */
export function boothooks(d: Deployment): Array<{ logicalId: string; script: string }> {
  return launchTemplates(d).flatMap((lt) => (lt.userData === undefined ? [] : cloudInitParts(lt.userData)
    .filter((p) => p.contentType === 'text/cloud-boothook' && p.boothookScript !== undefined)
    .map((p) => ({ logicalId: lt.logicalId, script: p.boothookScript! }))));
}
