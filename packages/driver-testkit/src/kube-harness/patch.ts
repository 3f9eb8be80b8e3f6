import { KubeApiError, badRequest } from './api-errors.js';

/** The patch content types a custom resource accepts (strategic merge is for built-in kinds only). */
export const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
} as const;

type Json = unknown;

/** Applies a patch body of the given content type to a copy of `target`. */
export function applyPatch(target: Json, contentType: string | undefined, body: Json): Json {
  const type = (contentType ?? '').split(';', 1)[0]?.trim();
  if (type === PATCH_TYPES.merge) return mergePatch(target, body);
  if (type === PATCH_TYPES.json) return jsonPatch(target, body);
  throw new KubeApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.json}, ${PATCH_TYPES.merge}, application/apply-patch+yaml`,
  );
}

/** RFC 7386: objects merge, `null` deletes, everything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

/** RFC 6902: add, remove, replace, move, copy, test; a failing operation fails the whole patch. */
export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw badRequest('json patch must be an array of operations');
  let document = structuredClone(target);
  for (const raw of operations as Operation[]) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw badRequest('json patch operations need "op" and "path"');
    }
    const operation = raw;
    switch (operation.op) {
      case 'add':
        document = setAt(document, operation.path, structuredClone(operation.value), 'add');
        break;
      case 'replace':
        getAt(document, operation.path);
        document = setAt(document, operation.path, structuredClone(operation.value), 'replace');
        break;
      case 'remove':
        document = removeAt(document, operation.path);
        break;
      case 'copy':
      case 'move': {
        const from = operation.from ?? '';
        const value = structuredClone(getAt(document, from));
        if (operation.op === 'move') document = removeAt(document, from);
        document = setAt(document, operation.path, value, 'add');
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(document, operation.path)) !== JSON.stringify(operation.value)) {
          throw new KubeApiError(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: test failed at ${operation.path}`,
          );
        }
        break;
      default:
        throw badRequest(`unknown json patch operation "${operation.op}"`);
    }
  }
  return document;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid json pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function missing(path: string): KubeApiError {
  return new KubeApiError(422, 'Invalid', `the server rejected our request due to an error in our request: doc is missing path: "${path}"`);
}

function getAt(document: Json, path: string): Json {
  let node = document;
  for (const token of pointer(path)) {
    if (Array.isArray(node) && /^\d+$/.test(token) && Number(token) < node.length) node = node[Number(token)];
    else if (isObject(node) && Object.hasOwn(node, token)) node = node[token];
    else throw missing(path);
  }
  return node;
}

function parentOf(document: Json, path: string): { parent: Json; key: string } {
  const tokens = pointer(path);
  const key = tokens.pop();
  if (key === undefined) throw badRequest('json patch cannot address the document root here');
  const parentPath = tokens.map((token) => `/${token.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  return { parent: getAt(document, parentPath), key };
}

function setAt(document: Json, path: string, value: Json, mode: 'add' | 'replace'): Json {
  if (path === '') return value;
  const { parent, key } = parentOf(document, path);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw missing(path);
    if (mode === 'add') parent.splice(index, 0, value);
    else parent[index] = value;
  } else if (isObject(parent)) parent[key] = value;
  else throw missing(path);
  return document;
}

function removeAt(document: Json, path: string): Json {
  getAt(document, path);
  const { parent, key } = parentOf(document, path);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else if (isObject(parent)) delete parent[key];
  return document;
}

export function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
