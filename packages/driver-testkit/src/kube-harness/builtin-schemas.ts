import type { ErrorObject } from 'ajv';
import { ConfigMap, Secret } from 'kubernetes-models/v1';
import { Job } from 'kubernetes-models/batch/v1';
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

/** A kubernetes-models class: its `validate()` throws ajv's ValidationError, whose `errors` the API's causes come from. */
type ModelClass = new (data: never) => { validate(): void };

/**
 * The validators kubernetes-models compiles from Kubernetes' own OpenAPI document (ajv, standalone): the
 * harness checks built-in kinds against the real schema, as it checks Knative Services against their CRD.
 */
function kind(group: string, version: string, kindName: string, plural: string, Model: ModelClass): BuiltinKind {
  return {
    group,
    version,
    apiVersion: group === '' ? version : `${group}/${version}`,
    kind: kindName,
    plural,
    validate(object) {
      try {
        new Model(object as never).validate();
        return [];
      } catch (error) {
        const errors = (error as { errors?: ErrorObject[] }).errors;
        if (!Array.isArray(errors)) throw error;
        return errors.map(toCause);
      }
    },
  };
}

/** `batch/v1` Jobs. */
export const JOB_KIND = kind('batch', 'v1', 'Job', 'jobs', Job);
/** Core `v1` ConfigMaps. */
export const CONFIG_MAP_KIND = kind('', 'v1', 'ConfigMap', 'configmaps', ConfigMap);
/** Core `v1` Secrets. */
export const SECRET_KIND = kind('', 'v1', 'Secret', 'secrets', Secret);
