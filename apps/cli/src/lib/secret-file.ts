import { CliError } from './errors.js';
import { readDataFile } from './files.js';

/** The values of a secret from a JSON file: an object of strings. */
export async function secretValues(path: string): Promise<Record<string, string>> {
  const value = await readDataFile(path, 'secret file');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(400, `secret file ${path} must hold a JSON object of string values`);
  }
  const secrets: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw new CliError(400, `secret file ${path}: the value of "${key}" must be a string`);
    secrets[key] = item;
  }
  return secrets;
}
