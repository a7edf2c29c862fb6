/**
 * The nodeadm NodeConfig part, parsed by two YAML implementations: the npm `yaml` package (YAML 1.2)
 * and PyYAML (YAML 1.1, like the go-yaml that nodeadm's sigs.k8s.io/yaml uses underneath).
 */
import * as YAML from 'yaml';
import { PYTHON, runOk } from './proc';

export const NODECONFIG_CONTENT_TYPE = 'application/node.eks.aws';

/** Parse every YAML document of a NodeConfig part with both parsers; they must agree. */
export function parseNodeConfig(payload: string): any[] {
  const docs = YAML.parseAllDocuments(payload);
  const errors = docs.flatMap((d) => d.errors.map((e) => e.message));
  if (errors.length > 0) {
    throw new Error(`NodeConfig is not valid YAML (npm yaml): ${errors.join('; ')}`);
  }
  const js = docs.map((d) => d.toJS()).filter((d) => d !== null && d !== undefined);
  const py = JSON.parse(
    runOk(
      PYTHON,
      [
        '-c',
        'import sys, json, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin.read()) if d is not None]))',
      ],
      { input: payload, timeout: 30_000 },
    ),
  );
  if (JSON.stringify(js) !== JSON.stringify(py)) {
    throw new Error(
      `npm yaml and PyYAML read the NodeConfig differently:\n${JSON.stringify(js)}\n${JSON.stringify(py)}`,
    );
  }
  return js;
}
