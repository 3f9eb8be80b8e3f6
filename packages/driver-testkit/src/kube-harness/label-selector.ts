import { badRequest } from './api-errors.js';

/** A parsed `labelSelector` query: every requirement must hold. */
export type LabelSelector = (labels: Record<string, string> | undefined) => boolean;

type Requirement = (labels: Record<string, string>) => boolean;

const KEY = String.raw`[A-Za-z0-9][-A-Za-z0-9_./]*`;
const VALUE = String.raw`[A-Za-z0-9]?(?:[-A-Za-z0-9_.]*[A-Za-z0-9])?`;
const EQUALITY = new RegExp(String.raw`^(${KEY})\s*(=|==|!=)\s*(${VALUE})$`);
const SET = new RegExp(String.raw`^(${KEY})\s+(in|notin)\s+\(([^)]*)\)$`);
const EXISTS = new RegExp(String.raw`^(!?)\s*(${KEY})$`);

/**
 * Parses a label selector the way the API server does (`a=b,c!=d,e in (f,g),h notin (i),j,!k`);
 * a malformed one is a 400.
 */
export function parseLabelSelector(text: string | null | undefined): LabelSelector {
  const requirements = splitRequirements(text ?? '').map(parseRequirement);
  return (labels) => requirements.every((matches) => matches(labels ?? {}));
}

function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function parseRequirement(text: string): Requirement {
  const equality = EQUALITY.exec(text);
  if (equality !== null) {
    const [, key = '', operator, value = ''] = equality;
    return operator === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  const set = SET.exec(text);
  if (set !== null) {
    const [, key = '', operator, list = ''] = set;
    const values = new Set(list.split(',').map((value) => value.trim()));
    return operator === 'in'
      ? (labels) => labels[key] !== undefined && values.has(labels[key])
      : (labels) => labels[key] === undefined || !values.has(labels[key]);
  }
  const exists = EXISTS.exec(text);
  if (exists !== null) {
    const [, negated, key = ''] = exists;
    return negated === '!' ? (labels) => !(key in labels) : (labels) => key in labels;
  }
  throw badRequest(`unable to parse requirement: ${text}`);
}
