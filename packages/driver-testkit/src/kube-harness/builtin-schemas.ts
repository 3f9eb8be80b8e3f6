import type { ErrorObject } from 'ajv';
import { validate as validateJob } from 'kubernetes-models/_schemas/IoK8sApiBatchV1Job';
import { validate as validateConfigMap } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap';
import { validate as validateSecret } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Secret';
import type { StatusCause } from './api-errors.js';
import { toCause } from './crd-schema.js';

/** A kind built into Kubernetes, served by the harness, and the check its objects pass before they are stored. */
export interface BuiltinKind {
  group: string;
  version: string;
  apiVersion: string;
  kind: string;
  plural: string;
  /** The schema's complaints about `object`, as the API server's 422 causes; empty when valid. */
  validate(object: unknown): StatusCause[];
}

/**
 * The validators kubernetes-models compiles from Kubernetes' own OpenAPI document (ajv, standalone): the
 * harness checks built-in kinds against the real schema, as it checks Knative Services against their CRD.
 */
type CompiledValidator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

function kind(group: string, version: string, kindName: string, plural: string, validator: unknown): BuiltinKind {
  const compiled = validator as CompiledValidator;
  return {
    group,
    version,
    apiVersion: group === '' ? version : `${group}/${version}`,
    kind: kindName,
    plural,
    validate(object) {
      if (compiled(object)) return [];
      return (compiled.errors ?? []).map(toCause);
    },
  };
}

/** `batch/v1` Jobs. */
export const JOB_KIND = kind('batch', 'v1', 'Job', 'jobs', validateJob);
/** Core `v1` ConfigMaps. */
export const CONFIG_MAP_KIND = kind('', 'v1', 'ConfigMap', 'configmaps', validateConfigMap);
/** Core `v1` Secrets. */
export const SECRET_KIND = kind('', 'v1', 'Secret', 'secrets', validateSecret);
