// File formats for export and import: JSON lines (plain JSON), DynamoDB JSON lines
// ({"Item": {...}} per line, as DynamoDB's export writes) and CSV with typed headers.
//
// CSV convention (round-trips every type):
//   header `name`        → S, the cell is the string
//   header `name:S`      → S (written when the name itself contains ':')
//   header `name:N`      → N, the cell is the number as written
//   header `name:BOOL`   → BOOL, true or false
//   header `name:NULL`   → NULL, the cell is true
//   header `name:B`      → B, the cell is base64
//   header `name:json`   → any type, the cell is the DynamoDB JSON attribute value,
//                          e.g. {"SS":["a","b"]} or {"M":{"x":{"N":"1"}}} (L, M, SS, NS, BS)
// An unquoted empty cell means the item has no such attribute; a quoted empty cell
// ("") is the empty string. The same attribute may have several columns (one per
// type it has in the data): a row fills at most one of them.
//
// Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return)
// as a formula. A header, string or binary cell that starts so, after any number
// of apostrophes, is written with one more apostrophe in front ('=1+1), and that
// apostrophe is taken off on import; other cells are read as they are.

import { parseJson, stringifyJson, JsonNumber, JsonParseError } from './json.js';
import { itemToPlain, plainToItem, checkItemShape, typeOf, toPlain, own, setOwn, NotPlainError } from './ddb.js';

export const FORMATS = {
  jsonl: { label: 'JSON lines (plain JSON)', extension: 'jsonl', mime: 'application/x-ndjson' },
  ddbjsonl: { label: 'DynamoDB JSON lines ({"Item": …} per line)', extension: 'ddb.jsonl', mime: 'application/x-ndjson' },
  csv: { label: 'CSV (typed headers)', extension: 'csv', mime: 'text/csv' },
};

const SUFFIXES = ['S', 'N', 'BOOL', 'NULL', 'B', 'json'];

/** Plain JSON text of an item; sets become arrays and binary its base64 (lossy: counted by the caller). */
export function plainLine(item) {
  try {
    return { line: stringifyJson(itemToPlain(item), 0), lossy: false };
  } catch (e) {
    if (!(e instanceof NotPlainError)) throw e;
    return { line: stringifyJson(lossyPlain({ M: item }), 0), lossy: true };
  }
}

function lossyPlain(av) {
  const type = typeOf(av);
  const v = av[type];
  if (type === 'SS' || type === 'BS') return [...v];
  if (type === 'NS') return v.map((n) => new JsonNumber(n));
  if (type === 'B') return v;
  if (type === 'L') return v.map(lossyPlain);
  if (type === 'M') {
    const out = {};
    for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: lossyPlain(v[k]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return toPlain(av);
}

export function ddbLine(item) {
  return JSON.stringify({ Item: item });
}

const FORMULA = /^'*[=+\-@\t\r]/;

/** Text a spreadsheet will not run as a formula (see the convention above). */
export function defuse(text) {
  return FORMULA.test(text) ? `'${text}` : text;
}

/** The text `defuse` was given. */
export function undefuse(text) {
  return text.startsWith("'") && FORMULA.test(text.slice(1)) ? text.slice(1) : text;
}

function csvCell(text) {
  if (text === '') return '""';
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

function columnFor(name, type) {
  const simple = { S: '', N: 'N', BOOL: 'BOOL', NULL: 'NULL', B: 'B' }[type];
  if (simple === undefined) return `${name}:json`;
  if (simple === '') return name.includes(':') ? `${name}:S` : name;
  return `${name}:${simple}`;
}

function cellFor(av) {
  const type = typeOf(av);
  const v = av[type];
  switch (type) {
    case 'S':
    case 'B':
      return defuse(v);
    case 'N':
      return v;
    case 'BOOL':
      return v ? 'true' : 'false';
    case 'NULL':
      return 'true';
    default:
      return JSON.stringify(av);
  }
}

/** CSV text of items (header first); `keyAttributes` become the first columns. */
export function itemsToCsv(items, keyAttributes = []) {
  const columns = [];
  const index = new Map();
  const add = (name, type) => {
    const col = columnFor(name, type);
    if (!index.has(col)) {
      index.set(col, columns.length);
      columns.push({ col, name });
    }
  };
  for (const item of items) for (const k of keyAttributes) if (own(item, k)) add(k, typeOf(item[k]));
  for (const item of items) for (const [k, av] of Object.entries(item)) add(k, typeOf(av));
  const keyRank = (name) => (keyAttributes.includes(name) ? keyAttributes.indexOf(name) : keyAttributes.length);
  const order = columns.map((c, i) => ({ ...c, i })).sort((a, b) => keyRank(a.name) - keyRank(b.name) || a.i - b.i);
  const lines = [order.map((c) => csvCell(defuse(c.col))).join(',')];
  for (const item of items) {
    const cells = order.map((c) => {
      const av = own(item, c.name);
      if (!av || columnFor(c.name, typeOf(av)) !== c.col) return '';
      return csvCell(cellFor(av));
    });
    lines.push(cells.join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/**
 * Parses CSV (RFC 4180: quotes double inside quoted cells, line breaks allowed in
 * them). Cells are strings, or null for an unquoted empty cell. Rows with their line numbers.
 */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let i = 0;
  let line = 1;
  let rowLine = 1;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  const n = text.length;
  while (i <= n) {
    let cell = '';
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      i++;
      for (;;) {
        if (i >= n) throw new Error(`CSV line ${rowLine}: a quoted cell is not closed`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (text[i] === '\n') line++;
        cell += text[i++];
      }
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        throw new Error(`CSV line ${line}: unexpected text after a quoted cell`);
      }
    } else {
      while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') cell += text[i++];
    }
    row.push(quoted ? cell : cell === '' ? null : cell);
    if (text[i] === ',') {
      i++;
      continue;
    }
    // End of a row (or of the text).
    if (text[i] === '\r' && text[i + 1] === '\n') i++;
    i++;
    line++;
    if (!(row.length === 1 && row[0] === null)) rows.push({ cells: row, line: rowLine });
    row = [];
    rowLine = line;
  }
  return rows;
}

function parseHeader(header) {
  const at = header.lastIndexOf(':');
  if (at > 0 && SUFFIXES.includes(header.slice(at + 1))) return { name: header.slice(0, at), type: header.slice(at + 1) };
  return { name: header, type: 'S' };
}

/** Items from CSV text in the convention above. Throws with the line number on a bad cell. */
export function csvToItems(text) {
  const rows = parseCsv(text);
  if (!rows.length) return [];
  const headers = rows[0].cells.map((h, i) => {
    if (h === null || h === '') throw new Error(`CSV line 1: column ${i + 1} has no name`);
    return parseHeader(undefuse(h));
  });
  const items = [];
  for (const { cells, line } of rows.slice(1)) {
    if (cells.length > headers.length) throw new Error(`CSV line ${line}: ${cells.length} cells for ${headers.length} columns`);
    const item = {};
    cells.forEach((cell, i) => {
      if (cell === null) return;
      const { name, type } = headers[i];
      if (own(item, name) !== undefined) throw new Error(`CSV line ${line}: attribute ${name} has values in two columns`);
      let av;
      switch (type) {
        case 'S':
          av = { S: undefuse(cell) };
          break;
        case 'N':
          av = { N: cell.trim() };
          break;
        case 'B':
          av = { B: undefuse(cell.trim()) };
          break;
        case 'BOOL': {
          const t = cell.trim().toLowerCase();
          if (t !== 'true' && t !== 'false') throw new Error(`CSV line ${line}: column ${name}:BOOL holds "${cell}", not true or false`);
          av = { BOOL: t === 'true' };
          break;
        }
        case 'NULL':
          av = { NULL: true };
          break;
        default: {
          let parsed;
          try {
            parsed = JSON.parse(cell);
          } catch (e) {
            throw new Error(`CSV line ${line}: column ${name}:json is not JSON (${e.message})`);
          }
          const problems = checkItemShape({ [name]: parsed });
          if (problems.length) throw new Error(`CSV line ${line}: ${problems[0]}`);
          av = parsed;
        }
      }
      setOwn(item, name, av);
    });
    items.push(item);
  }
  return items;
}

/** Which format a file is in: by its name, then by its first line. */
export function detectFormat(filename, text) {
  const name = filename.toLowerCase();
  if (name.endsWith('.csv')) return 'csv';
  const first = text.split('\n').find((l) => l.trim()) || '';
  const trimmed = first.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return 'csv';
  let value;
  try {
    value = parseJson(trimmed);
  } catch {
    return name.endsWith('.json') || name.endsWith('.jsonl') || name.endsWith('.ndjson') ? 'jsonl' : 'csv';
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'Item' && value.Item && typeof value.Item === 'object') return 'ddbjsonl';
    if (keys.length && checkItemShape(value).length === 0) return 'ddbjsonl';
  }
  return 'jsonl';
}

/** Items from a JSON lines file, plain (`jsonl`) or DynamoDB JSON (`ddbjsonl`, with or without {"Item": …}). */
export function jsonLinesToItems(text, format) {
  const items = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    let value;
    try {
      value = parseJson(line);
    } catch (e) {
      const where = e instanceof JsonParseError ? `column ${e.column}` : '';
      throw new Error(`Line ${index + 1}: ${e.message.replace(/ at line 1, column \d+ \(position \d+\)$/, '')} ${where}`.trim());
    }
    if (format === 'ddbjsonl') {
      const keys = value && typeof value === 'object' ? Object.keys(value) : [];
      const item = keys.length === 1 && keys[0] === 'Item' ? value.Item : value;
      const problems = checkItemShape(item);
      if (problems.length) throw new Error(`Line ${index + 1}: ${problems[0]}`);
      items.push(item);
    } else {
      try {
        items.push(plainToItem(value));
      } catch (e) {
        throw new Error(`Line ${index + 1}: ${e.message}`);
      }
    }
  });
  return items;
}

/** Items from a file's text in a format (one of FORMATS' keys). */
export function parseItems(text, format) {
  return format === 'csv' ? csvToItems(text) : jsonLinesToItems(text, format);
}

/**
 * Serializes items for download. Returns {parts, lossy} where lossy counts items
 * whose sets or binary values plain JSON could not keep.
 */
export function serializeItems(items, format, keyAttributes = []) {
  if (format === 'csv') return { parts: [itemsToCsv(items, keyAttributes)], lossy: 0 };
  let lossy = 0;
  const parts = items.map((item) => {
    if (format === 'ddbjsonl') return ddbLine(item) + '\n';
    const { line, lossy: l } = plainLine(item);
    if (l) lossy++;
    return line + '\n';
  });
  return { parts, lossy };
}
