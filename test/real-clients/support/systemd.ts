/**
 * Checking systemd drop-ins two ways:
 * - systemd's own parser: `systemd-analyze verify` (systemd 252) loads a unit with its drop-ins
 *   without a running systemd, and at debug log level dumps the unit, including every
 *   `Environment:` value after unquoting and `%` specifier expansion; parse complaints name the file.
 * - a strict syntax check of what we promise to write: `[Service]`, then only
 *   `Environment="K=V"` lines, `"` and `\` backslash-escaped, every `%` doubled.
 */
import * as fs from 'fs';
import * as path from 'path';
import { removeDir, requireTools, run, tempDir } from './proc';

/** What systemd made of a unit's drop-ins. */
export interface SystemdParse {
  readonly rc: number;
  /** The unit's environment as systemd parsed it. */
  readonly environment: Record<string, string>;
  /** Drop-in paths systemd reports having loaded. */
  readonly dropInPaths: string[];
  /** systemd's complaints about the drop-in files (`FILE:LINE: ...`). */
  readonly complaints: string[];
}

/** Read `systemd-analyze verify` debug output for one unit. */
export function parseVerifyOutput(stdout: string, stderr: string, rc: number, dropInDir: string): SystemdParse {
  const environment: Record<string, string> = {};
  const dropInPaths: string[] = [];
  for (const line of stdout.split('\n')) {
    const env = /^\t\tEnvironment: ([^=]+)=(.*)$/.exec(line);
    if (env) {
      environment[env[1]] = env[2];
    }
    const dropIn = /^\t\tDropIn Path: (.*)$/.exec(line);
    if (dropIn) {
      dropInPaths.push(dropIn[1]);
    }
  }
  const complaints = stderr.split('\n').filter((l) => l.startsWith(dropInDir));
  return { rc, environment, dropInPaths, complaints };
}

/**
 * The unit dumps of one `systemd-analyze verify` of several units at debug level, by unit name: each dump starts
 * with a `\t-> Unit NAME:` line, and its lines run up to the next one.
 */
function unitDumps(stdout: string): Record<string, string> {
  const dumps: Record<string, string[]> = {};
  let current: string[] | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^\t-> Unit (.+):$/.exec(line);
    if (head) {
      current = dumps[head[1]] = [];
    }
    current?.push(line);
  }
  return Object.fromEntries(Object.entries(dumps).map(([unit, lines]) => [unit, lines.join('\n')]));
}

/** Parse one drop-in with systemd, in a temporary unit directory with a stand-in unit file. */
export function systemdParseDropIn(dropIn: string, unit = 'cdk-private-eks-check'): SystemdParse {
  return systemdParseDropIns({ [unit]: dropIn })[unit];
}

/**
 * Parse several units' drop-ins (unit name, without `.service`, to drop-in text) with one systemd-analyze verify,
 * each with a stand-in unit file in a temporary unit directory. Each unit gets its own dump and the complaints
 * naming its own drop-in; the exit code is the verify's (0 only when systemd accepted every unit).
 */
export function systemdParseDropIns(dropIns: Record<string, string>): Record<string, SystemdParse> {
  requireTools('systemd-analyze');
  const dir = tempDir('systemd');
  try {
    const unitFiles = Object.entries(dropIns).map(([unit, dropIn]) => {
      const unitFile = path.join(dir, `${unit}.service`);
      fs.writeFileSync(unitFile, `[Unit]\nDescription=stand-in\n[Service]\nType=oneshot\nExecStart=/bin/true\n`);
      fs.mkdirSync(`${unitFile}.d`);
      fs.writeFileSync(path.join(`${unitFile}.d`, 'proxy.conf'), dropIn);
      return unitFile;
    });
    const r = run('systemd-analyze', ['verify', ...unitFiles], {
      env: { ...process.env, SYSTEMD_LOG_LEVEL: 'debug', SYSTEMD_LOG_COLOR: '0' },
      timeout: 60_000,
    });
    return verifiedUnits(Object.keys(dropIns), r.stdout, r.stderr, r.status ?? -1, dir);
  } finally {
    removeDir(dir);
  }
}

/**
 * What one `systemd-analyze verify` of `units` (names without `.service`, unit files in `unitDir`) said of each:
 * its own dump, the complaints naming its drop-in directory, and the verify's exit code. Throws for a unit
 * systemd did not dump.
 */
export function verifiedUnits(
  units: string[],
  stdout: string,
  stderr: string,
  rc: number,
  unitDir: string,
): Record<string, SystemdParse> {
  const dumps = unitDumps(stdout);
  return Object.fromEntries(
    units.map((unit) => {
      const dump = dumps[`${unit}.service`];
      if (dump === undefined) {
        throw new Error(`systemd-analyze verify dumped no ${unit}.service:\n${stderr}`);
      }
      return [unit, parseVerifyOutput(dump, stderr, rc, path.join(unitDir, `${unit}.service.d`))];
    }),
  );
}

const ENV_LINE = /^Environment="([A-Za-z_][A-Za-z0-9_]*)=((?:[^"\\%\n]|\\["\\]|%%)*)"$/;

/**
 * Strict syntax check of a drop-in we generate: returns problems and the unescaped environment.
 * Rules (systemd.syntax(7), systemd.exec(5) Environment=, systemd.unit(5) specifiers): a section
 * header first; in a double-quoted word `\"` and `\\` are the escapes; `%` starts a specifier in
 * Environment=, so a literal `%` must be written `%%`.
 */
export function strictDropInCheck(content: string): { problems: string[]; environment: Record<string, string> } {
  const problems: string[] = [];
  const environment: Record<string, string> = {};
  if (!content.endsWith('\n')) {
    problems.push('drop-in does not end with a newline');
  }
  const lines = content.replace(/\n$/, '').split('\n');
  if (lines[0] !== '[Service]') {
    problems.push(`first line is '${lines[0]}', expected [Service]`);
  }
  for (const [i, line] of lines.slice(1).entries()) {
    const m = ENV_LINE.exec(line);
    if (!m) {
      const why = /%(?!%)/.test(line.replace(/%%/g, '')) ? ' (a % that is not doubled)' : '';
      problems.push(`line ${i + 2} is not a strict Environment="K=V" line${why}: ${line}`);
      continue;
    }
    if (m[1] in environment) {
      problems.push(`line ${i + 2} sets ${m[1]} again`);
    }
    environment[m[1]] = m[2].replace(/\\(["\\])|%%/g, (_all, c) => (c ? c : '%'));
  }
  return { problems, environment };
}
