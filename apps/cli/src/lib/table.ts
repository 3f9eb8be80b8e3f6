import stringWidth from 'string-width';

/**
 * Tables in the style of Dispatch's original CLI: centred headers, `|` between columns, a line of dashes under
 * the header, no outer border. Columns are as wide as their cells look in a terminal (string-width: a CJK
 * character or an emoji takes two columns, colour codes none), not as their count of UTF-16 units.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(stringWidth(header), ...rows.map((row) => stringWidth(row[column] ?? ''))));
  const line = (cells: readonly string[], align: (text: string, width: number) => string) =>
    cells
      .map((cell, column) => ` ${align(cell, widths[column] ?? 0)} `)
      .join('|')
      .trimEnd();
  const header = line(headers, centre);
  const separator = '-'.repeat(widths.reduce((total, width) => total + width + 3, -1));
  return [header, separator, ...rows.map((row) => line(row, padEnd))].join('\n');
}

function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - stringWidth(text)));
}

function centre(text: string, width: number): string {
  const left = Math.max(0, Math.ceil((width - stringWidth(text)) / 2));
  return ' '.repeat(left) + padEnd(text, width - left);
}

/** Cuts a cell to `max` characters, ending in an ellipsis, and keeps it on one line. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
