import { renderTable } from './table.js';

export type OutputFormat = 'json' | 'yaml';

/** JSON as the original CLI printed it: indented by 4 spaces. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 4);
}

export async function toYaml(value: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** `-o json` or `-o yaml`: one object for one entity, an array for a list. */
export async function formatStructured(value: unknown, format: OutputFormat): Promise<string> {
  return format === 'yaml' ? toYaml(value) : toJson(value);
}

/** What a command prints: structured when `-o` is given, a table otherwise. */
export async function formatRows<T>(
  items: T | T[],
  format: OutputFormat | undefined,
  table: { headers: string[]; optional?: string[]; row(item: T): string[] },
): Promise<string> {
  if (format !== undefined) return formatStructured(items, format);
  // A field missing from an answer (an older gateway) shows as an empty cell rather than failing.
  const rows = (Array.isArray(items) ? items : [items]).map((item) => table.row(item).map((cell) => String(cell ?? '')));
  const optional = new Set(table.optional ?? []);
  const kept = table.headers
    .map((header, column) => ({ header, column }))
    .filter(({ header, column }) => !optional.has(header) || rows.some((row) => (row[column] ?? '') !== ''));
  return renderTable(
    kept.map(({ header }) => header),
    rows.map((row) => kept.map(({ column }) => row[column] ?? '')),
  );
}
