import type { EntityKind } from '@dispatch/core/driver';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CliError } from './errors.js';
import { packSourceBase64, readUserFile } from './files.js';
import { KINDS } from './kinds.js';
import { manifestProblems } from './manifest-schema.js';
import { loadServicesJson, type ServicesJsonOptions } from './services-json.js';

/** One document of a manifest, ready to send: `body` is the API body, files inlined and the source packed. */
export interface ManifestDocument {
  /** 1-based position in the file, for messages. */
  index: number;
  kind: EntityKind;
  name: string;
  body: Record<string, unknown>;
}

export interface LoadManifestOptions {
  /** The folder `sourcePath` and `'@file'` values are relative to; the manifest's own folder by default. */
  workDir?: string;
  /** False to read only kinds and names (for `delete -f`): no file is inlined and no source packed. */
  bodies?: boolean;
  /** For a funker-dispatch services.json: what the file does not say. */
  servicesJson?: ServicesJsonOptions;
}

const KIND_BY_NAME = new Map<string, EntityKind>(Object.values(KINDS).map((info) => [info.manifestKind.toLowerCase(), info.kind]));
const KNOWN = Object.values(KINDS).map((info) => info.manifestKind);

function documentError(file: string, index: number, message: string): CliError {
  return new CliError(400, `${file}: document ${index}: ${message}`);
}

/**
 * Reads a multi-document YAML manifest and prepares every document before anything is sent, so that a
 * mistake anywhere (bad YAML, an unknown kind, a missing file) applies nothing.
 */
export async function loadManifest(file: string, options: LoadManifestOptions = {}): Promise<ManifestDocument[]> {
  const services = await loadServicesJson(file, { ...options.servicesJson, bodies: options.bodies ?? true });
  if (services !== undefined) return services;
  const text = await readUserFile(file, 'manifest');
  const baseDir = resolve(options.workDir ?? dirname(file));
  const { parseAllDocuments } = await import('yaml');
  const parsed = parseAllDocuments(text);
  const documents: ManifestDocument[] = [];
  const raw = Array.isArray(parsed) ? parsed : [];
  for (const [position, document] of raw.entries()) {
    const index = position + 1;
    const problem = document.errors[0];
    // yaml's message ends with an excerpt of the lines around the mistake and a caret under it: keep it whole.
    if (problem !== undefined) throw documentError(file, index, problem.message.trimEnd());
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw documentError(file, index, 'must be a mapping with a kind and a name');
    documents.push(await prepare(value as Record<string, unknown>, { file, index, baseDir, bodies: options.bodies ?? true }));
  }
  if (documents.length === 0) throw new CliError(400, `${file}: no documents`);
  return documents;
}

interface Where {
  file: string;
  index: number;
  baseDir: string;
  bodies: boolean;
}

async function prepare(document: Record<string, unknown>, where: Where): Promise<ManifestDocument> {
  const { kind: kindName, sourcePath, ...fields } = document;
  if (typeof kindName !== 'string') throw documentError(where.file, where.index, `has no kind (one of ${KNOWN.join(', ')})`);
  const kind = KIND_BY_NAME.get(kindName.toLowerCase().replace(/[-_]/g, ''));
  if (kind === undefined) {
    throw documentError(where.file, where.index, `unknown kind "${kindName}" (expected one of ${KNOWN.join(', ')})`);
  }
  const { name } = fields;
  if (typeof name !== 'string' || name === '') throw documentError(where.file, where.index, `${kindName} has no name`);
  if (!where.bodies) return { index: where.index, kind, name, body: fields };
  const problems = await manifestProblems(kind, document);
  if (problems.length > 0) throw documentError(where.file, where.index, `${kindName} "${name}": ${problems.join('; ')}`);
  const body = (await inlineFiles(fields, where)) as Record<string, unknown>;
  if (kind === 'function') {
    if (sourcePath !== undefined) {
      if (typeof sourcePath !== 'string') throw documentError(where.file, where.index, 'sourcePath must be a path');
      body.source = await packSourceBase64(resolve(where.baseDir, sourcePath)).catch((error: unknown) => {
        throw documentError(where.file, where.index, (error as Error).message);
      });
    }
    if (typeof body.schema === 'object' && body.schema !== null)
      body.schema = await parseSchemas(body.schema as Record<string, unknown>, where);
  }
  return { index: where.index, kind, name, body };
}

/** `'@file'` becomes the text of that file (relative to the base folder); `'@@x'` is the literal `'@x'`. */
async function inlineFiles(value: unknown, where: Where): Promise<unknown> {
  if (typeof value === 'string') {
    if (value.startsWith('@@')) return value.slice(1);
    if (!value.startsWith('@') || value.length === 1) return value;
    const path = value.slice(1);
    return readUserFile(isAbsolute(path) ? path : resolve(where.baseDir, path), 'file').catch((error: unknown) => {
      throw documentError(where.file, where.index, (error as Error).message);
    });
  }
  if (Array.isArray(value)) return Promise.all(value.map((item) => inlineFiles(item, where)));
  if (typeof value === 'object' && value !== null) {
    const entries = await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await inlineFiles(item, where)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

/** A schema given as text (inlined from a file) is parsed; JSON is YAML. */
async function parseSchemas(schema: Record<string, unknown>, where: Where): Promise<Record<string, unknown>> {
  const { parse } = await import('yaml');
  const parsed: Record<string, unknown> = { ...schema };
  for (const key of ['in', 'out']) {
    const text = schema[key];
    if (typeof text !== 'string') continue;
    try {
      parsed[key] = parse(text);
    } catch (error) {
      throw documentError(where.file, where.index, `schema.${key} is not valid JSON: ${(error as Error).message.split('\n', 1)[0]}`);
    }
  }
  return parsed;
}
