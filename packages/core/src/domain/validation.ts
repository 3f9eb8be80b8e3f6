import { InvalidInputError } from '../errors.js';
import { LANGUAGES, type EntityKind, type Language, type Tag } from './types.js';

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Human names of the kinds, for messages. */
export const KIND_LABEL: Record<EntityKind, string> = {
  baseimage: 'base image',
  image: 'image',
  function: 'function',
  secret: 'secret',
  endpoint: 'endpoint',
  schedule: 'schedule',
};

/**
 * Names are DNS-1123 labels so that one name maps unchanged onto a Swarm service and a Kubernetes object.
 */
export function assertValidName(kind: EntityKind, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidInputError(`${KIND_LABEL[kind]} name is required`);
  }
  if (name.length > 63 || !DNS_1123_LABEL.test(name)) {
    throw new InvalidInputError(
      `invalid ${KIND_LABEL[kind]} name "${name}": use at most 63 lower-case letters, digits and '-', ` +
        `starting and ending with a letter or digit (e.g. "hello-world")`,
    );
  }
}

export function assertLanguage(language: unknown, context: string): asserts language is Language {
  if (typeof language !== 'string' || !(LANGUAGES as readonly string[]).includes(language)) {
    throw new InvalidInputError(`${context}: language must be one of ${LANGUAGES.join(', ')} (got ${JSON.stringify(language)})`);
  }
}

export function normalizeTags(tags: unknown): Tag[] {
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags)) throw new InvalidInputError('tags must be a list of {key, value}');
  return tags.map((tag) => {
    if (typeof tag !== 'object' || tag === null || typeof (tag as Tag).key !== 'string') {
      throw new InvalidInputError('every tag needs a string "key"');
    }
    const { key, value } = tag as Tag;
    return { key, value: value === undefined || value === null ? '' : String(value) };
  });
}

export function assertStringMap(value: unknown, field: string): asserts value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`${field} must be an object of string values`);
  }
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw new InvalidInputError(`${field}.${key} must be a string`);
  }
}

export function assertStringList(value: unknown, field: string): asserts value is string[] {
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) {
    throw new InvalidInputError(`${field} must be a list of strings`);
  }
}

export function assertPositiveInteger(
  value: unknown,
  field: string,
  { min = 0, max = Number.MAX_SAFE_INTEGER } = {},
): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`${field} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
}

/**
 * An image reference like `dispatchframework/python3-base:0.0.13` or `registry:5000/x`, as opposed to the name
 * of a BaseImage entity (a DNS label has no '/', ':' or '.').
 */
export function isImageReference(value: string): boolean {
  return /[/:.@]/.test(value);
}

/** Guesses the language of an image given by URL, as the seed's `create image python3 <url>` leaves it unsaid. */
export function languageFromImageReference(reference: string): Language | undefined {
  const lower = reference.toLowerCase();
  if (lower.includes('python')) return 'python3';
  if (lower.includes('node')) return 'nodejs';
  return undefined;
}
