import type { IncomingMessage, ServerResponse } from 'node:http';
import { KubeApiError, badRequest, conflict, invalid } from './api-errors.js';
import type { CrdSchema } from './crd-schema.js';
import { defaultKnativeService, validateKnativeService } from './knative-webhook.js';
import { parseLabelSelector } from './label-selector.js';
import type { KubeObject, ObjectStore, WatchEvent } from './object-store.js';
import { discovery } from './discovery.js';
import { applyPatch, isObject } from './patch.js';
import type { ContainerRuntime } from './container-runtime.js';
import { servePods } from './pods-api.js';
import type { Reconciler } from './reconciler.js';
import { serveWorkloads } from './workload-api.js';
import type { WorkloadStores } from './workload-api.js';

/** What the harness's API serves. */
export interface ApiServerState {
  /** The reconciler whose containers are served as pods (none when the harness runs nothing). */
  reconciler?: Reconciler;
  containers?: ContainerRuntime;
  /** batch/v1 Jobs, ConfigMaps and Secrets, and the runner of the Jobs' pods. */
  workloads: WorkloadStores;
  services: ObjectStore;
  revisions: ObjectStore;
  schema: CrdSchema;
  /** The bearer token every request must carry. */
  token: string;
  /** The user name the webhook writes into creator/lastModifier annotations. */
  user: string;
  /** Open watch streams, ended when the harness closes. */
  watches: Set<ServerResponse>;
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;
const GROUP_PREFIX = '/apis/serving.knative.dev/v1/';

interface Route {
  namespace?: string;
  plural: 'services' | 'revisions';
  name?: string;
  subresource?: string;
}

/** Answers one request of the Kubernetes API: discovery, Jobs, ConfigMaps and Secrets, core v1 pods (read-only, with their logs), then Knative Services and (read-only) Revisions. */
export async function handleApiRequest(state: ApiServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://harness');
    if (['/healthz', '/readyz', '/livez'].includes(url.pathname)) return sendText(res, 200, 'ok');
    if (req.headers.authorization !== `Bearer ${state.token}`) {
      throw new KubeApiError(401, 'Unauthorized', 'Unauthorized');
    }
    const document = discovery(url.pathname);
    if (document !== undefined) {
      if (req.method !== 'GET') throw methodNotAllowed(req.method);
      return sendJson(res, 200, document);
    }
    if (await serveWorkloads(state.workloads, url, req, res, { readJson, sendJson })) return;
    const { containers, reconciler, workloads } = state;
    if (containers !== undefined && (await servePods(reconciler, containers, url, req, res, sendJson, workloads.runner))) return;
    const route = parseRoute(url.pathname);
    if (route === undefined) throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (route.plural === 'revisions') return await serveRevisions(state, route, url, req, res);
    return await serveServices(state, route, url, req, res);
  } catch (error) {
    if (res.headersSent) return void res.end();
    const failure =
      error instanceof KubeApiError
        ? error
        : new KubeApiError(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`);
    sendJson(res, failure.code, failure.toStatus());
  }
}

function parseRoute(path: string): Route | undefined {
  if (!path.startsWith(GROUP_PREFIX)) return undefined;
  const parts = path
    .slice(GROUP_PREFIX.length)
    .split('/')
    .filter((part) => part !== '');
  let namespace: string | undefined;
  if (parts[0] === 'namespaces') {
    namespace = parts[1];
    parts.splice(0, 2);
    if (namespace === undefined) return undefined;
  }
  const [plural, name, subresource, extra] = parts;
  if ((plural !== 'services' && plural !== 'revisions') || extra !== undefined) return undefined;
  if (name !== undefined && namespace === undefined) return undefined;
  return { namespace, plural, name, subresource };
}

async function serveServices(state: ApiServerState, route: Route, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { services } = state;
  const namespace = route.namespace;
  if (route.subresource !== undefined && route.subresource !== 'status') {
    throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
  }
  if (route.name === undefined) {
    if (req.method === 'GET') return listOrWatch(state, services, namespace, url, req, res);
    if (req.method === 'POST' && namespace !== undefined) {
      const body = asObject(await readJson(req));
      const object = admit(state, body, namespace, undefined, url, res);
      return sendJson(res, 201, dryRun(url) ? object : services.create(namespace, object));
    }
    throw methodNotAllowed(req.method);
  }
  const name = route.name;
  const ns = namespace ?? '';
  const statusOnly = route.subresource === 'status';
  switch (req.method) {
    case 'GET':
      return sendJson(res, 200, services.get(ns, name));
    case 'PUT':
    case 'PATCH': {
      const current = services.get(ns, name);
      const body = await readJson(req);
      const next = asObject(req.method === 'PUT' ? body : applyPatch(current, req.headers['content-type'], body)) as KubeObject;
      checkName(next, name);
      if (statusOnly) {
        const expected = next.metadata?.resourceVersion;
        if (expected !== undefined && expected !== '' && expected !== current.metadata.resourceVersion) {
          throw conflict(services.resource, name);
        }
        return sendJson(res, 200, services.updateStatus(ns, name, isObject(next.status) ? next.status : {}));
      }
      const object = admit(state, next, ns, current, url, res);
      return sendJson(res, 200, dryRun(url) ? object : services.update(ns, object));
    }
    case 'DELETE': {
      const deleted = dryRun(url) ? services.get(ns, name) : services.delete(ns, name);
      return sendJson(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, group: services.resource.group, kind: services.resource.plural, uid: deleted.metadata.uid },
      });
    }
    default:
      throw methodNotAllowed(req.method);
  }
}

async function serveRevisions(state: ApiServerState, route: Route, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Revisions are the reconciler's to write: users read them.
  if (req.method !== 'GET') throw methodNotAllowed(req.method);
  if (route.subresource !== undefined) throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
  if (route.name === undefined) return listOrWatch(state, state.revisions, route.namespace, url, req, res);
  return sendJson(res, 200, state.revisions.get(route.namespace ?? '', route.name));
}

/**
 * What the API server does with a Service before storing it: prune unknown fields (a warning, or an
 * error under fieldValidation=Strict), Knative's defaulting webhook, the CRD schema (422), then Knative's
 * validating webhook (400).
 */
function admit(
  state: ApiServerState,
  body: Record<string, unknown>,
  namespace: string,
  current: KubeObject | undefined,
  url: URL,
  res: ServerResponse,
): KubeObject {
  const { schema } = state;
  if (body.apiVersion !== `${schema.group}/${schema.version}` || body.kind !== schema.kind) {
    throw badRequest(
      `the API version in the data (${String(body.apiVersion)}) and the kind (${String(body.kind)}) do not match ${schema.group}/${schema.version} ${schema.kind}`,
    );
  }
  const metadata = isObject(body.metadata) ? body.metadata : {};
  body.metadata = metadata;
  if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (name === '')
    throw invalid(schema.plural, schema.group, '', [
      { reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' },
    ]);
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map !== undefined && (!isObject(map) || Object.values(map).some((value) => typeof value !== 'string'))) {
      throw badRequest(`unable to decode metadata.${field}: expected a map of strings`);
    }
  }
  const pruned = schema.prune(body);
  if (pruned.length > 0) {
    if (url.searchParams.get('fieldValidation') === 'Strict') {
      throw badRequest(`strict decoding error: ${pruned.map((path) => `unknown field "${path}"`).join(', ')}`);
    }
    res.setHeader(
      'Warning',
      pruned.map((path) => `299 - "unknown field \\"${path}\\""`),
    );
  }
  defaultKnativeService(body, state.user, current === undefined);
  const causes = schema.validate(body);
  if (causes.length > 0) throw invalid(schema.plural, schema.group, name, causes);
  validateKnativeService(body);
  const object = body as KubeObject;
  if (current !== undefined && object.metadata.uid !== undefined && object.metadata.uid !== current.metadata.uid) {
    throw new KubeApiError(
      409,
      'Conflict',
      `Precondition failed: UID in precondition: ${String(object.metadata.uid)}, UID in object meta: ${current.metadata.uid}`,
    );
  }
  return object;
}

function listOrWatch(
  state: ApiServerState,
  store: ObjectStore,
  namespace: string | undefined,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const selector = parseLabelSelector(url.searchParams.get('labelSelector'));
  const watch = url.searchParams.get('watch');
  if (watch !== 'true' && watch !== '1') {
    const { items, resourceVersion } = store.list(namespace, selector);
    return sendJson(res, 200, {
      apiVersion: store.resource.apiVersion,
      kind: `${store.resource.kind}List`,
      metadata: { resourceVersion },
      items,
    });
  }
  const send = (event: WatchEvent | { type: 'ERROR'; object: unknown }): void => {
    res.write(`${JSON.stringify(event)}\n`);
  };
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
  // The API server answers a watch at once; events follow as they happen.
  res.flushHeaders();
  let unsubscribe = (): void => undefined;
  try {
    unsubscribe = store.watch(namespace, selector, url.searchParams.get('resourceVersion') ?? undefined, send);
  } catch (error) {
    if (!(error instanceof KubeApiError)) throw error;
    send({ type: 'ERROR', object: error.toStatus() });
    return void res.end();
  }
  state.watches.add(res);
  const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? 1800);
  const timer = setTimeout(() => res.end(), Math.max(0, timeoutSeconds) * 1000);
  const stop = (): void => {
    clearTimeout(timer);
    unsubscribe();
    state.watches.delete(res);
  };
  res.on('close', stop);
  req.on('close', stop);
}

function checkName(object: KubeObject, name: string): void {
  const given = object.metadata?.name;
  if (given !== name) throw badRequest(`the name of the object (${String(given)}) does not match the name on the URL (${name})`);
}

function dryRun(url: URL): boolean {
  return url.searchParams.get('dryRun') === 'All';
}

function methodNotAllowed(method: string | undefined): KubeApiError {
  return new KubeApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${String(method)})`);
}

function asObject(value: unknown): Record<string, unknown> {
  if (!isObject(value)) throw badRequest('the body of the request must be a JSON object');
  return value;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new KubeApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(badRequest(`the body of the request is not valid JSON: ${(error as Error).message}`));
      }
    });
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
