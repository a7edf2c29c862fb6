/**
 * Validators for Kubernetes custom resources against the CRDs vendored in test/fixtures/crds (their sources are
 * in test/fixtures/README.md), with a real JSON-schema validator (ajv), as the API server validates them.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import * as YAML from 'yaml';

const CRDS = path.join(__dirname, '..', 'fixtures', 'crds');
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

/** A validator for a CRD file's `v1` version, or for a JSON schema file (`.json`). */
export function crdValidator(file: string): (object: unknown) => string[] {
  const text = fs.readFileSync(path.join(CRDS, file), 'utf8');
  const schema = file.endsWith('.json')
    ? JSON.parse(text)
    : YAML.parse(text).spec.versions.find((v: any) => v.name === 'v1').schema.openAPIV3Schema;
  const valid = ajv.compile(schema);
  return (object) => {
    valid(object);
    return (valid.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}
