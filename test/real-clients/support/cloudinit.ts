/**
 * User data as cloud-init sees it: parts split by cloud-init 22.4's own MIME processing, and each
 * boothook as the file cloud-init would write and execute.
 */
import * as path from 'path';
import { launchTemplates, Deployment, NodeGroup } from './examples';
import { cloudInitMissing, PYTHON, removeDir, run, SUPPORT_DIR, tempDir } from './proc';
import { readRunCache, writeRunCache } from './run-cache';
import { CA_BOOTHOOK_MARKER } from '../../../lib/nodes/user-data/ca-bundle';

export interface UserDataPart {
  readonly contentType: string;
  readonly filename: string;
  readonly payload: string;
  /** The script cloud-init writes for a text/cloud-boothook part (and then executes). */
  readonly boothookScript?: string;
  /** Its file mode, e.g. 0o700. */
  readonly boothookMode?: string;
}

/**
 * Split user data with cloudinit.user_data.UserDataProcessor and cloudinit.handlers.walk: once per test file,
 * and, under the real-client global setup, once per run (support/run-cache.ts: most suites read the same
 * examples' user data).
 */
export function cloudInitParts(userData: string): UserDataPart[] {
  splitAll([userData]);
  return readRunCache<UserDataPart[]>('cloud-init', userData)!;
}

/**
 * Split every user data given that is not split yet, in one cloud-init run: importing cloud-init costs a
 * quarter of a second, a split almost nothing. A suite that needs many calls this first; cloudInitParts
 * then answers from the cache.
 */
export function splitAll(userData: string[]): void {
  const missing = [...new Set(userData)].filter((u) => readRunCache('cloud-init', u) === undefined);
  if (missing.length === 0) {
    return;
  }
  splitWithCloudInit(missing).forEach((parts, i) => writeRunCache('cloud-init', missing[i], parts));
}

function splitWithCloudInit(userData: string[]): UserDataPart[][] {
  const dir = tempDir('cloudinit');
  try {
    // Base64: the bytes a JavaScript string is written as on stdin (UTF-8), whatever it holds.
    const input = JSON.stringify(userData.map((u) => Buffer.from(u, 'utf8').toString('base64')));
    const r = run(PYTHON, [path.join(SUPPORT_DIR, 'cloudinit_parts.py'), dir], { input, timeout: 120_000 });
    if (r.status !== 0) {
      throw /ModuleNotFoundError/.test(r.stderr)
        ? cloudInitMissing(r.stderr)
        : new Error(`cloudinit_parts.py failed (${r.status}): ${r.stderr}`);
    }
    return (JSON.parse(r.stdout) as Array<{ parts: any[] }>).map(({ parts }) =>
      parts.map((p) => ({
        contentType: p.contentType,
        filename: p.filename,
        payload: p.payload,
        boothookScript:
          p.boothookBase64 === undefined ? undefined : Buffer.from(p.boothookBase64, 'base64').toString('utf8'),
        boothookMode: p.boothookMode,
      })),
    );
  } finally {
    removeDir(dir);
  }
}

/** The boothook scripts of a deployment's launch templates, as cloud-init writes them. */
export function boothooks(d: Deployment): Array<{ logicalId: string; script: string }> {
  return launchTemplates(d).flatMap((lt) =>
    lt.userData === undefined
      ? []
      : cloudInitParts(lt.userData)
          .filter((p) => p.contentType === 'text/cloud-boothook' && p.boothookScript !== undefined)
          .map((p) => ({ logicalId: lt.logicalId, script: p.boothookScript! })),
  );
}

/** The parts of a node group's MIME user data, as cloud-init splits them. */
export function groupParts(g: NodeGroup): UserDataPart[] {
  if (g.format !== 'mime' || g.userData === undefined) {
    throw new Error(`${g.label}: user data is ${g.format}, not MIME`);
  }
  return cloudInitParts(g.userData);
}

/** The content type without parameters, e.g. `text/x-shellscript`. */
export function baseType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}

/** The boothook of a node group, as cloud-init writes it (undefined when it has none). */
export function groupBoothook(g: NodeGroup): string | undefined {
  // The CA bundle's boothook (lib/nodes/user-data/ca-bundle.ts) is a part of its own: see groupCaBoothook.
  const hooks = groupParts(g).filter(
    (p) =>
      p.contentType === 'text/cloud-boothook' &&
      p.boothookScript !== undefined &&
      !p.boothookScript.includes(CA_BOOTHOOK_MARKER),
  );
  if (hooks.length > 1) {
    throw new Error(`${g.label}: ${hooks.length} boothooks`);
  }
  return hooks[0]?.boothookScript;
}

/** The CA bundle boothook of a node group (the part cloud-init writes), if its proxy has a CA bundle. */
export function groupCaBoothook(g: NodeGroup): string | undefined {
  return groupParts(g).find(
    (p) => p.contentType === 'text/cloud-boothook' && p.boothookScript?.includes(CA_BOOTHOOK_MARKER),
  )?.boothookScript;
}

/**
 * The files a script writes with a quoted here-document (`cat >PATH <<'MARK'` ... `MARK`): the
 * text bash writes, since a quoted delimiter means no expansion at all.
 */
export function quotedHeredocs(script: string): Array<{ path: string; body: string }> {
  const out: Array<{ path: string; body: string }> = [];
  const lines = script.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^cat >(\S+) <<'([A-Za-z_][A-Za-z0-9_]*)'$/.exec(lines[i]);
    if (!m) {
      continue;
    }
    const end = lines.findIndex((l, j) => j > i && l === m[2]);
    if (end < 0) {
      throw new Error(`here-document ${m[2]} is not terminated`);
    }
    out.push({ path: m[1], body: lines.slice(i + 1, end).join('\n') + '\n' });
    i = end;
  }
  return out;
}
