/**
 * support/proc.ts `run`: a child given no input gets no standard input. Node's default is one end of a socket
 * pair, which bash takes for a remote shell's connection: with SHLVL unset (npm test started by something other
 * than bash) it then reads /etc/bash.bashrc first, and a `bash -u` script fails on that file's PS1.
 */
import { spawnSync } from 'child_process';
import { run } from './support/proc';

const STDIN_KIND = '[ -S /dev/stdin ] && echo socket || echo other';
/** The environment of a child started by something other than bash: no SHLVL. */
const NO_SHLVL = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

test('a child run without input has no socket on standard input; with input it reads it', () => {
  expect(run('bash', ['-c', STDIN_KIND]).stdout).toBe('other\n');
  expect(run('bash', ['-c', 'cat'], { input: 'given\n' }).stdout).toBe('given\n');
});

test('the check can fail: a child spawned with Node defaults has a socket on standard input', () => {
  expect(spawnSync('bash', ['-c', STDIN_KIND], { encoding: 'utf8' }).stdout).toBe('socket\n');
});

test('bash -u without SHLVL runs the script alone: nothing from /etc/bash.bashrc', () => {
  const r = run('bash', ['-euo', 'pipefail', '-c', 'echo ok'], { env: NO_SHLVL });
  expect([r.status, r.stdout, r.stderr]).toEqual([0, 'ok\n', '']);
});
