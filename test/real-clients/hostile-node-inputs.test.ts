/**
 * Generated hostile and odd strings for the node props that self-managed nodes write into their user data:
 * label keys and values, taint keys and values. Each value is refused by the group's check
 * (`checkLabelsAndTaints`, what `SelfManagedNodeGroup` calls) with PrivateEksValidationError naming the prop,
 * or every artefact rendered from it is read back by its real consumer and gives back exactly the value:
 *
 * - AL2023: nodeadm's NodeConfig, parsed by the `yaml` parser: `spec.kubelet.flags`;
 * - AL2: the bootstrap.sh call, run by bash with a recording bootstrap.sh: its `--kubelet-extra-args`;
 * - Bottlerocket: the settings, parsed by smol-toml: `settings.kubernetes.node-labels` / `node-taints`.
 *
 * Cases per run (new fast-check seed each run): 4 props x 150 values = 600. The proxy props are covered
 * by hostile-inputs.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import fc from 'fast-check';
import { binaryString } from '../support/arbitraries';
import { parse as parseToml } from 'smol-toml';
import * as YAML from 'yaml';
import { PrivateEksValidationError } from '../../lib/errors';
import { checkLabelsAndTaints } from '../../lib/nodes/labels-and-taints';
import { taintStrings } from '../../lib/nodes/node-group-base';
import { AL2_BOOTSTRAP, renderBootstrapScript } from '../../lib/nodes/user-data/al2';
import { AL2023 } from '../../lib/nodes/user-data/al2023';
import { renderBottlerocketSettings } from '../../lib/nodes/user-data/bottlerocket';
import { ClusterBootstrap, KubeletRegistration } from '../../lib/nodes/user-data/family';
import { expectBothOutcomes, runOverFiles } from './support/hostile';
import { requireTools } from './support/proc';
import { testStack } from '../support/cdk';

const PER_PROP = 150;

/** Pieces of Kubernetes names, and the characters that break flags, shells, YAML and TOML. */
const piece = fc.oneof(
  fc.constantFrom('team', 'a', 'example.com/', 'node.kubernetes.io/', 'k8s.io/x', '-', '_', '.', '/', 'A9'),
  fc.constantFrom("'", '"', '`', '$(id)', ';', '\n', '\r', '\0', '\t', ' ', '%', '\\', '#', ',', '=', ':', '\x7f'),
  fc.constantFrom(' --anonymous-auth=true', ',evil=1', ':NoSchedule', 'é', '\u2028', 'a'.repeat(70)),
  binaryString(4),
);
/** Kubernetes names that are valid, so every prop also has accepted values whose artefacts are parsed. */
const wellFormed = fc.oneof(
  fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,20}[a-z0-9])?$/),
  fc.stringMatching(/^[a-z0-9]{1,10}\.example\/[a-zA-Z0-9]([a-zA-Z0-9._-]{0,20}[a-zA-Z0-9])?$/),
);
const value = fc.oneof(
  { arbitrary: fc.array(piece, { minLength: 1, maxLength: 6 }).map((p) => p.join('')), weight: 2 },
  { arbitrary: wellFormed, weight: 1 },
);

const CLUSTER: ClusterBootstrap = {
  name: 'private',
  endpoint: 'https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com',
  certificateAuthority: 'Q0E=',
  serviceCidr: '172.20.0.0/16',
  dnsClusterIp: '172.20.0.10',
};

/** The props, each with the labels and taints a value makes and the prop its error must name. */
const PROPS: Array<[string, (v: string) => { labels: Record<string, string>; taints: eks.TaintSpec[] }, string]> = [
  ['label key', (v) => ({ labels: { [v]: 'x' }, taints: [] }), 'labels'],
  ['label value', (v) => ({ labels: { team: v }, taints: [] }), 'labels'],
  [
    'taint key',
    (v) => ({ labels: {}, taints: [{ key: v, value: 'x', effect: eks.TaintEffect.NO_SCHEDULE }] }),
    'taints',
  ],
  [
    'taint value',
    (v) => ({ labels: {}, taints: [{ key: 'dedicated', value: v, effect: eks.TaintEffect.NO_EXECUTE }] }),
    'taints',
  ],
];

beforeAll(() => requireTools('bash'));

describe.each(PROPS)('%s', (_name, make, prop) => {
  test(`${PER_PROP} generated values: refused naming ${prop}, or nodeadm's YAML, bash and TOML give back exactly the flags`, () => {
    const scope = new Construct(testStack(), 'Nodes');
    const accepted: Array<{ kubelet: KubeletRegistration; flags: string[] }> = [];
    let refused = 0;
    for (const v of fc.sample(value, PER_PROP)) {
      const { labels, taints } = make(v);
      try {
        checkLabelsAndTaints(scope, labels, taints, 'selfManagedNodes');
      } catch (e) {
        expect(e).toBeInstanceOf(PrivateEksValidationError);
        expect((e as PrivateEksValidationError).prop).toBe(prop);
        refused++;
        continue;
      }
      const kubelet = { labels, taints: taintStrings(taints) };
      const flags = [
        ...(Object.keys(labels).length > 0
          ? [
              `--node-labels=${Object.entries(labels)
                .map(([k, x]) => `${k}=${x}`)
                .join(',')}`,
            ]
          : []),
        ...(kubelet.taints.length > 0 ? [`--register-with-taints=${kubelet.taints.join(',')}`] : []),
      ];
      // YAML: nodeadm reads exactly the flags.
      const al2023 = AL2023.render({ cluster: CLUSTER, kubelet });
      const nodeConfig = al2023.kind === 'mime' ? al2023.parts[0].body : '';
      expect(YAML.parse(nodeConfig).spec.kubelet.flags).toEqual(flags);
      // TOML: Bottlerocket reads exactly the labels and the taint.
      const toml = parseToml(renderBottlerocketSettings({ cluster: CLUSTER, kubelet })) as any;
      expect(toml.settings.kubernetes['node-labels'] ?? {}).toEqual(labels);
      if (taints.length > 0) {
        // key=value:Effect -> { key: ['value:Effect'] } (Bottlerocket settings reference, node-taints).
        const [taint] = kubelet.taints;
        const key = taint.slice(0, taint.indexOf('='));
        expect(toml.settings.kubernetes['node-taints']).toEqual({ [key]: [taint.slice(key.length + 1)] });
      }
      accepted.push({ kubelet, flags });
    }
    // bash: every bootstrap.sh call gives bootstrap.sh exactly the flags (one bash process for all of them).
    const files: Record<string, string> = { 'bootstrap.sh': '#!/bin/bash\nprintf \'%s\\0\' "$@" >"$OUT"\n' };
    accepted.forEach((a, i) => (files[`${i}.sh`] = renderBootstrapScript(CLUSTER, a.kubelet)));
    const argsOf: string[][] = [];
    const output = runOverFiles(
      files,
      'for i in $(seq 0 $(($2 - 1))); do sed "s|$3|$1/bootstrap.sh|" "$1/$i.sh" | OUT="$1/$i.args" bash || echo "failed $i"; done',
      [String(accepted.length), AL2_BOOTSTRAP],
      (dir) =>
        accepted.forEach((_, i) =>
          argsOf.push(
            fs
              .readFileSync(path.join(dir, `${i}.args`), 'utf8')
              .split('\0')
              .slice(0, -1),
          ),
        ),
    );
    expect(output).toBe('');
    accepted.forEach((a, i) => {
      const args = argsOf[i];
      expect(args[args.indexOf('--kubelet-extra-args') + 1]).toBe(a.flags.join(' '));
    });
    expectBothOutcomes(PER_PROP, refused, accepted.length);
  });
});
