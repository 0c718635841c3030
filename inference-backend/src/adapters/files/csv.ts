import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';

/** RFC 4180 CSV: quoted fields may hold commas, line breaks and doubled quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else inQuotes = false;
    } else if (ch === '"') inQuotes = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line (without its line break), quoting only the fields that need it. */
export function toCsvRow(values: ReadonlyArray<string | number>): string {
  return values.map((value) => csvField(String(value))).join(',');
}

/** A file of records with named columns, in file order. */
export interface Table {
  columns: string[];
  rows: Array<Record<string, string>>;
}

/** Header row first; short rows are padded with empty fields, wholly empty lines skipped. */
export function csvToTable(text: string): Table {
  const [header = [], ...body] = parseCsv(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  const columns = header.map((c) => c.trim());
  const rows = body
    .filter((fields) => fields.length > 1 || fields[0] !== '')
    .map((fields) => Object.fromEntries(columns.map((c, i) => [c, fields[i] ?? ''])));
  return { columns, rows };
}

/** JSON Lines of flat objects; the columns are the keys in order of first appearance. */
export function jsonlToTable(text: string): Table {
  const columns: string[] = [];
  const seen = new Set<string>();
  const rows: Array<Record<string, string>> = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`line ${index + 1} is not valid JSON`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`line ${index + 1} is not a JSON object`);
    }
    const row: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
      row[key] =
        value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
    rows.push(row);
  });
  for (const row of rows) for (const c of columns) row[c] ??= '';
  return { columns, rows };
}

/** A `.jsonl`/`.ndjson` file as JSON Lines, anything else as CSV with a header row. */
export async function readTableFile(file: string): Promise<Table> {
  const text = await readFile(file, 'utf8');
  const ext = extname(file).toLowerCase();
  return ext === '.jsonl' || ext === '.ndjson' ? jsonlToTable(text) : csvToTable(text);
}
