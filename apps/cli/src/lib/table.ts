/**
 * Tables in the style of Dispatch's original CLI: centred headers, `|` between columns, a line of dashes under
 * the header, no outer border.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[], align: (text: string, width: number) => string) =>
    cells
      .map((cell, column) => ` ${align(cell, widths[column] ?? 0)} `)
      .join('|')
      .trimEnd();
  const header = line(headers, centre);
  const separator = '-'.repeat(widths.reduce((total, width) => total + width + 3, -1));
  return [header, separator, ...rows.map((row) => line(row, (text, width) => text.padEnd(width)))].join('\n');
}

function centre(text: string, width: number): string {
  const left = Math.ceil((width - text.length) / 2);
  return ' '.repeat(Math.max(0, left)) + text.padEnd(width - Math.max(0, left));
}

/** Cuts a cell to `max` characters, ending in an ellipsis, and keeps it on one line. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
