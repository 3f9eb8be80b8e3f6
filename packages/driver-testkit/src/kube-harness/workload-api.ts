import type { IncomingMessage, ServerResponse } from 'node:http';
import { KubeApiError, badRequest, invalid } from './api-errors.js';
import type { StatusCause } from './api-errors.js';
import { CONFIG_MAP_KIND, JOB_KIND, SECRET_KIND } from './builtin-schemas.js';
import type { BuiltinKind } from './builtin-schemas.js';
import { parseLabelSelector } from './label-selector.js';
import type { JobRunner } from './job-runner.js';
import type { NewObject, ObjectStore } from './object-store.js';
import { isObject } from './patch.js';

/** The stores of the built-in kinds a build Job needs: batch/v1 Jobs, and the ConfigMaps and Secrets it mounts. */
export interface WorkloadStores {
  jobs: ObjectStore;
  configMaps: ObjectStore;
  secrets: ObjectStore;
  /** Runs the Jobs' pods (none when the harness runs nothing); told of deleted Jobs with the propagation policy. */
  runner?: JobRunner;
}

/** etcd's limit on one ConfigMap's or Secret's data, which the API server checks (`validation.MaxSecretSize`). */
const MAX_DATA_BYTES = 1024 * 1024;
/** A DNS-1123 subdomain, what the API server wants of ConfigMap, Secret and Job names. */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Core v1 ConfigMaps and Secrets (create, get, list, delete) and batch/v1 Jobs (create, get, list, delete with a
 * propagation policy), each checked against Kubernetes' own schema and the API server's rules that the schema
 * does not hold (names, data sizes, a Job's restart policy), defaulted as the API server defaults them.
 * Resolves false for any other path.
 */
export async function serveWorkloads(
  stores: WorkloadStores,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
  io: { readJson(req: IncomingMessage): Promise<unknown>; sendJson(res: ServerResponse, status: number, body: unknown): void },
): Promise<boolean> {
  const route = parseRoute(url.pathname);
  if (route === undefined) return false;
  const { kind, namespace, name } = route;
  const store = kind === JOB_KIND ? stores.jobs : kind === CONFIG_MAP_KIND ? stores.configMaps : stores.secrets;
  if (name === undefined) {
    if (req.method === 'GET') {
      const { items, resourceVersion } = store.list(namespace, parseLabelSelector(url.searchParams.get('labelSelector')));
      io.sendJson(res, 200, { apiVersion: kind.apiVersion, kind: `${kind.kind}List`, metadata: { resourceVersion }, items });
      return true;
    }
    if (req.method === 'POST' && namespace !== undefined) {
      const body = await io.readJson(req);
      const object = admit(kind, body, namespace);
      io.sendJson(res, 201, url.searchParams.get('dryRun') === 'All' ? object : store.create(namespace, object));
      return true;
    }
    throw methodNotAllowed(req.method);
  }
  const ns = namespace ?? '';
  if (req.method === 'GET') {
    io.sendJson(res, 200, store.get(ns, name));
    return true;
  }
  if (req.method === 'DELETE') {
    const text = await readOptionalJson(req, io);
    const fromBody = isObject(text) && typeof text.propagationPolicy === 'string' ? text.propagationPolicy : undefined;
    const policy = url.searchParams.get('propagationPolicy') ?? fromBody ?? (kind === JOB_KIND ? 'Orphan' : 'Background');
    if (!['Orphan', 'Background', 'Foreground'].includes(policy)) throw badRequest(`unsupported propagationPolicy "${policy}"`);
    const deleted = store.delete(ns, name);
    if (kind === JOB_KIND) stores.runner?.jobDeleted(deleted, policy);
    io.sendJson(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: kind.plural } });
    return true;
  }
  throw methodNotAllowed(req.method);
}

function parseRoute(path: string): { kind: BuiltinKind; namespace?: string; name?: string } | undefined {
  const match = /^\/(?:api\/v1|apis\/batch\/v1)\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/]+))?\/?$/.exec(path);
  if (match === null) return undefined;
  const [, namespace, plural, name] = match;
  const core = path.startsWith('/api/v1/');
  const kind = core
    ? plural === 'configmaps'
      ? CONFIG_MAP_KIND
      : plural === 'secrets'
        ? SECRET_KIND
        : undefined
    : plural === 'jobs'
      ? JOB_KIND
      : undefined;
  if (kind === undefined || (name !== undefined && namespace === undefined)) return undefined;
  return { kind, ...(namespace === undefined ? {} : { namespace }), ...(name === undefined ? {} : { name }) };
}

function admit(kind: BuiltinKind, body: unknown, namespace: string): NewObject {
  if (!isObject(body)) throw badRequest('the body of the request must be a JSON object');
  // As the API server decodes a body: missing type fields are the URL's; given ones must match it.
  body.apiVersion ??= kind.apiVersion;
  body.kind ??= kind.kind;
  if (body.apiVersion !== kind.apiVersion || body.kind !== kind.kind) {
    throw badRequest(
      `the API version in the data (${String(body.apiVersion)}) and the kind (${String(body.kind)}) do not match ${kind.apiVersion} ${kind.kind}`,
    );
  }
  const metadata = isObject(body.metadata) ? body.metadata : {};
  body.metadata = metadata;
  if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const causes: StatusCause[] = kind.validate(body);
  if (name === '')
    causes.push({ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' });
  else if (name.length > 253 || !SUBDOMAIN.test(name)) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
      field: 'metadata.name',
    });
  }
  if (kind === JOB_KIND) causes.push(...jobRules(body, name));
  else if (dataSize(body) > MAX_DATA_BYTES) {
    causes.push({ reason: 'FieldValueTooLong', message: `Too long: may not be more than ${MAX_DATA_BYTES} bytes`, field: '' });
  }
  if (causes.length > 0) throw invalid(kind.plural, kind.group, name, causes);
  if (kind === JOB_KIND) defaultJob(body, name);
  if (kind === SECRET_KIND && isObject(body.stringData)) {
    // The API server folds stringData into data (base64) and stores no stringData.
    const data = isObject(body.data) ? body.data : {};
    for (const [key, value] of Object.entries(body.stringData)) data[key] = Buffer.from(String(value), 'utf8').toString('base64');
    body.data = data;
    delete body.stringData;
  }
  return body as NewObject;
}

/** What the API server's Job validation adds to the schema (pkg/apis/batch/validation). */
function jobRules(job: Record<string, unknown>, name: string): StatusCause[] {
  const causes: StatusCause[] = [];
  // The pods' `job-name` label holds the Job's name: a label value is at most 63 characters.
  if (name.length > 63)
    causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: must be no more than 63 characters', field: 'metadata.name' });
  const spec = isObject(job.spec) ? job.spec : {};
  const podSpec = isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : {};
  if (podSpec.restartPolicy !== 'Never' && podSpec.restartPolicy !== 'OnFailure') {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: 'Unsupported value: supported values: "OnFailure", "Never"',
      field: 'spec.template.spec.restartPolicy',
    });
  }
  for (const field of ['activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished'] as const) {
    const value = spec[field];
    if (typeof value === 'number' && value < (field === 'activeDeadlineSeconds' ? 1 : 0)) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${value}: must be greater than or equal to ${field === 'activeDeadlineSeconds' ? 1 : 0}`,
        field: `spec.${field}`,
      });
    }
  }
  return causes;
}

/** The API server's defaults for a Job, and the selector and pod labels it adds. */
function defaultJob(job: Record<string, unknown>, name: string): void {
  const spec = job.spec as Record<string, unknown>;
  spec.backoffLimit ??= 6;
  spec.completions ??= 1;
  spec.parallelism ??= 1;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  const template = spec.template as Record<string, unknown>;
  const metadata = isObject(template.metadata) ? template.metadata : {};
  template.metadata = metadata;
  metadata.labels = { ...(isObject(metadata.labels) ? metadata.labels : {}), 'batch.kubernetes.io/job-name': name, 'job-name': name };
}

function dataSize(object: Record<string, unknown>): number {
  let size = 0;
  for (const field of ['data', 'binaryData', 'stringData']) {
    const map = object[field];
    if (!isObject(map)) continue;
    for (const [key, value] of Object.entries(map)) {
      // binaryData and a Secret's data travel base64-encoded; the limit is on the bytes they hold.
      const encoded = field === 'binaryData' || (field === 'data' && object.kind === 'Secret');
      size += key.length + (typeof value === 'string' ? (encoded ? Buffer.from(value, 'base64').length : Buffer.byteLength(value)) : 0);
    }
  }
  return size;
}

async function readOptionalJson(req: IncomingMessage, io: { readJson(req: IncomingMessage): Promise<unknown> }): Promise<unknown> {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return undefined;
  if (req.headers['content-length'] === '0') return undefined;
  return io.readJson(req);
}

function methodNotAllowed(method: string | undefined): KubeApiError {
  return new KubeApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${String(method)})`);
}
