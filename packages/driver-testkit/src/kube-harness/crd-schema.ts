import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import type { StatusCause } from './api-errors.js';
import { isObject } from './patch.js';

/** The openAPIV3Schema of a CRD version, and a validator compiled from it. */
export interface CrdSchema {
  group: string;
  kind: string;
  plural: string;
  version: string;
  schema: Record<string, unknown>;
  /** The schema's complaints about `object`, as the API server's 422 causes; empty when valid. */
  validate(object: unknown): StatusCause[];
  /** Drops the fields the schema does not know (in place), as a structural schema does; returns their paths. */
  prune(object: unknown): string[];
}

/** Where the Knative Service CRD is kept: beside this module in the sources; `dist/kube-harness/` reaches it in `src/`. */
function crdFile(name: string): string {
  for (const candidate of [`./crd/${name}`, `../../src/kube-harness/crd/${name}`]) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`kube harness: the CRD file ${name} is missing`);
}

let knativeService: CrdSchema | undefined;

/** The CRD of `serving.knative.dev/v1` Services (knative/serving v1.23), loaded once. */
export function knativeServiceSchema(): CrdSchema {
  knativeService ??= loadCrdSchema(readFileSync(crdFile('serving.knative.dev_services.crd.yaml'), 'utf8'), 'v1');
  return knativeService;
}

/** Compiles a CRD (YAML text) version's openAPIV3Schema. */
export function loadCrdSchema(yamlText: string, version: string): CrdSchema {
  const crd = parse(yamlText) as {
    spec: {
      group: string;
      names: { kind: string; plural: string };
      versions: { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[];
    };
  };
  const served = crd.spec.versions.find((candidate) => candidate.name === version);
  if (served === undefined) throw new Error(`kube harness: the CRD has no version ${version}`);
  const schema = served.schema.openAPIV3Schema;
  // Kubernetes' extensions (x-kubernetes-*) are annotations to ajv; formats such as int32 are not checked here.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validator: ValidateFunction = ajv.compile(schema);
  return {
    group: crd.spec.group,
    kind: crd.spec.names.kind,
    plural: crd.spec.names.plural,
    version,
    schema,
    validate(object) {
      if (validator(object)) return [];
      return (validator.errors ?? []).map(toCause);
    },
    prune(object) {
      const pruned: string[] = [];
      pruneNode(object, schema, '', pruned, true);
      return pruned;
    },
  };
}

/** `/spec/template/spec/containers/0/image` → `spec.template.spec.containers[0].image`. */
export function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, token) => (/^\d+$/.test(token) ? `${path}[${token}]` : path === '' ? token : `${path}.${token}`), '');
}

export function toCause(error: ErrorObject): StatusCause {
  const base = fieldPath(error.instancePath);
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty?: string }).missingProperty);
    const field = base === '' ? missing : `${base}.${missing}`;
    return { reason: 'FieldValueRequired', message: 'Required value', field };
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues ?? [];
    return {
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: supported values: ${allowed.map((value) => JSON.stringify(value)).join(', ')}`,
      field: base,
    };
  }
  const field = base === '' ? '<root>' : base;
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${field} in body ${error.message ?? 'is invalid'}`, field };
}

function pruneNode(value: unknown, schema: unknown, path: string, pruned: string[], root = false): void {
  if (!isObject(schema)) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => pruneNode(item, schema.items, `${path}[${index}]`, pruned));
    return;
  }
  if (!isObject(value)) return;
  const properties = isObject(schema.properties) ? schema.properties : undefined;
  const additional = schema.additionalProperties;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  for (const key of Object.keys(value)) {
    const child = `${path === '' ? '' : `${path}.`}${key}`;
    // apiVersion, kind and metadata are the API server's, not the schema's, at the root.
    if (root && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
    if (properties !== undefined && key in properties) pruneNode(value[key], properties[key], child, pruned);
    else if (isObject(additional)) pruneNode(value[key], additional, child, pruned);
    else if (!preserve && (properties !== undefined || additional === false)) {
      delete value[key];
      pruned.push(child);
    }
  }
}
