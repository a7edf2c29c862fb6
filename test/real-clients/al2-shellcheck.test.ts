/**
 * The shell the AL2 renderer writes (boothook, bootstrap call, ready-signal program) passes
 * `shellcheck -s bash -S warning`, for every way a group joins and for concrete values with a quote.
 */
import { spawnSync } from 'child_process';
import { ClusterBootstrap, NodeBootstrapInput, UserDataPart } from '../../lib/nodes/user-data/family';
import { al2Parts, cluster, kubelet, proxy, signal } from '../support/al2-inputs';

describe('AL2 shell parts pass shellcheck -s bash -S warning', () => {
  beforeAll(() => {
    const probe = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      throw new Error(
        `shellcheck is required for these tests and could not be run: ${probe.error?.message ?? probe.stderr}`,
      );
    }
  });

  /** shellcheck's findings (gcc format), empty when clean. */
  function findings(script: string): string[] {
    const r = spawnSync('shellcheck', ['-s', 'bash', '-S', 'warning', '-f', 'gcc', '-'], {
      input: script,
      encoding: 'utf8',
    });
    if (r.error || (r.status !== 0 && r.stdout.trim() === '')) {
      throw new Error(`shellcheck failed to run (${r.status}): ${r.error?.message ?? r.stderr}`);
    }
    return r.stdout.split('\n').filter(Boolean);
  }

  /** Every shell script in the parts, including the signal script the signal part writes with a here-document. */
  function scripts(p: UserDataPart[]): string[] {
    const out: string[] = [];
    for (const part of p) {
      out.push(part.body);
      const embedded = /<<'CDK_PRIVATE_EKS_SIGNAL'\n([\s\S]*?)\nCDK_PRIVATE_EKS_SIGNAL\n/.exec(part.body);
      if (embedded) {
        out.push(embedded[1]);
      }
    }
    return out;
  }

  const tricky: ClusterBootstrap = {
    ...cluster,
    name: "it's",
    endpoint: 'https://ABC.gr7.us-east-1.eks.amazonaws.com',
  };
  test.each([
    ['managed on the EKS AMI', { proxy }],
    ['pinned AMI', { proxy, cluster }],
    ['self-managed with labels, taints and signal', { proxy, cluster, kubelet, signal }],
    ['no proxy, concrete values with a quote', { cluster: tricky, kubelet }],
  ] as [string, NodeBootstrapInput][])('%s', (_label, input) => {
    const all = scripts(al2Parts(input));
    expect(all.length).toBeGreaterThan(0);
    for (const script of all) {
      expect(script.startsWith('#!/bin/bash\n')).toBe(true);
      expect(findings(script)).toEqual([]);
    }
  });

  test('the check can fail', () => {
    expect(findings('#!/bin/bash\nf=$1\nrm -rf /tmp/$f/*\ncd $f\n').length).toBeGreaterThan(0);
  });
});
