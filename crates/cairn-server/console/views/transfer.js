// Import and export: a whole table (paged Scan) or the current results downloaded
// as JSON lines, DynamoDB JSON lines or CSV; a file in any of those written into a
// table with BatchWriteItem, 25 items a call, with a progress bar.

import { h, errorBox, showError, field, select, announce, download, uid, busyButton } from '../dom.js';
import { ddb, describeTable, batchWrite } from '../api.js';
import { FORMATS, serializeItems, detectFormat, parseItems } from '../formats.js';
import { keyOf, keyNames, keyId } from '../ddb.js';
import { tablePicker } from './common.js';

export function formatSelect() {
  return select(Object.entries(FORMATS).map(([k, f]) => [k, f.label]), { name: 'format' });
}

/**
 * Reads every page (load(start) → {items, next}) and downloads them in a format.
 * Progress goes to `status`. Resolves to the number of items.
 */
export async function exportPages(table, keySchema, format, load, status, isStopped = () => false) {
  const items = [];
  let start;
  status.textContent = 'Reading…';
  try {
    do {
      const page = await load(start);
      items.push(...page.items);
      start = page.next;
      status.textContent = `Read ${items.length} items…`;
    } while (start && !isStopped());
  } catch (e) {
    status.textContent = `Export failed: ${e.code ? `${e.code}: ` : ''}${e.message}`;
    return 0;
  }
  if (isStopped()) return 0;
  const f = FORMATS[format];
  const { parts, lossy } = serializeItems(items, format, keyNames(keySchema));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  download(`${table}-${stamp}.${f.extension}`, parts, f.mime);
  const note = lossy ? ` ${lossy} item${lossy === 1 ? ' has' : 's have'} sets or binary values, written as arrays and base64 strings (not kept as such on import: use DynamoDB JSON lines or CSV).` : '';
  status.textContent = `Downloaded ${items.length} item${items.length === 1 ? '' : 's'} (${f.label}).${note}`;
  announce(status.textContent);
  return items.length;
}

/**
 * Writes items into a table with BatchWriteItem, 25 a call; a key seen twice in a
 * call would be refused, so the call is sent before the second one (keys compared
 * whole, numbers by value: "1" and "1.0" are one key). onProgress(done).
 */
export async function importItems(table, keySchema, items, onProgress, isStopped) {
  const batches = [];
  let batch = [];
  let keys = new Set();
  for (const item of items) {
    const k = keyId(keyOf(item, keySchema));
    if (batch.length === 25 || keys.has(k)) {
      batches.push(batch);
      batch = [];
      keys = new Set();
    }
    batch.push({ PutRequest: { Item: item } });
    keys.add(k);
  }
  if (batch.length) batches.push(batch);
  let done = 0;
  for (const b of batches) {
    if (isStopped()) break;
    const base = done;
    done += await batchWrite(table, b, (n) => onProgress(base + n));
  }
  return done;
}

export function render(main, { param: tableName, navigate }) {
  let stopped = false;
  const picker = tablePicker('transfer', tableName, navigate);
  main.append(h('div', { class: 'view-head' }, h('h1', null, tableName ? `Import / export · ${tableName}` : 'Import / export'), picker.wrap));
  if (!tableName) {
    main.append(h('p', null, 'Choose a table to export it or import into it. ', h('a', { href: '#/tables/new' }, 'Create a table'), ' first to import into a new one.'));
    return undefined;
  }

  // Export.
  const exportFormat = formatSelect();
  const exportButton = h('button', { type: 'button', class: 'primary' }, 'Download the table');
  const exportStatus = h('p', { class: 'hint', 'aria-live': 'polite' });
  exportButton.addEventListener('click', async () => {
    const done = busyButton(exportButton);
    try {
      const table = await describeTable(tableName);
      if (!table) throw new Error(`Table ${tableName} was not found.`);
      await exportPages(tableName, table.KeySchema, exportFormat.value, async (start) => {
        const out = await ddb('Scan', start ? { TableName: tableName, ExclusiveStartKey: start } : { TableName: tableName });
        return { items: out.Items || [], next: out.LastEvaluatedKey };
      }, exportStatus, () => stopped);
    } catch (e) {
      exportStatus.textContent = `Export failed: ${e.message}`;
    } finally {
      done();
    }
  });

  // Import.
  const file = h('input', { type: 'file', accept: '.jsonl,.ndjson,.json,.csv,text/csv,application/json' });
  const importFormat = select([['auto', 'Detect from the file'], ...Object.entries(FORMATS).map(([k, f]) => [k, f.label])], { name: 'import-format' });
  const importButton = h('button', { type: 'submit', class: 'primary' }, 'Import');
  const bar = h('progress', { max: '1', value: '0', id: uid('import-progress') });
  const barField = h('div', { class: 'field' }, h('label', { for: bar.id }, 'Import progress'), bar);
  const importStatus = h('p', { class: 'import-status', 'aria-live': 'polite' });
  const importError = errorBox();
  barField.hidden = true;
  const importForm = h('form', { class: 'card', novalidate: true },
    h('h2', null, 'Import'),
    h('p', null, `Writes each item of the file into ${tableName} with BatchWriteItem (25 a call; an item with the key of an existing one replaces it).`),
    field('File', file, 'JSON lines, DynamoDB JSON lines or CSV (see the CSV convention in docs/console.md).').wrap,
    field('Format', importFormat).wrap,
    importError,
    barField,
    importStatus,
    h('div', { class: 'buttons' }, importButton));
  importForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError(importError, null);
    const chosen = file.files && file.files[0];
    if (!chosen) {
      showError(importError, new Error('Choose a file to import.'));
      file.focus();
      return;
    }
    const done = busyButton(importButton);
    try {
      const text = await chosen.text();
      const format = importFormat.value === 'auto' ? detectFormat(chosen.name, text) : importFormat.value;
      const items = parseItems(text, format);
      const table = await describeTable(tableName);
      if (!table) throw new Error(`Table ${tableName} was not found.`);
      barField.hidden = false;
      bar.max = Math.max(1, items.length);
      bar.value = 0;
      importStatus.textContent = `0 of ${items.length} items written (${FORMATS[format].label}).`;
      let shown = 0;
      const done = await importItems(tableName, table.KeySchema, items, (n) => {
        bar.value = n;
        // Screen readers hear the count every 10 % at most.
        const step = Math.max(25, Math.ceil(items.length / 10));
        if (n - shown >= step || n === items.length) {
          shown = n;
          importStatus.textContent = `${n} of ${items.length} items written.`;
        }
      }, () => stopped);
      importStatus.textContent = `${done} of ${items.length} items written.`;
      announce(`Import finished: ${done} items written into ${tableName}.`);
    } catch (e) {
      showError(importError, e);
    } finally {
      done();
    }
  });

  main.append(
    h('section', { class: 'card', 'aria-labelledby': 'export-h' },
      h('h2', { id: 'export-h' }, 'Export'),
      h('p', null, 'Reads the whole table with Scan, a page at a time, then downloads it. To export a query\'s results, use the export buttons under the results on the Items view.'),
      field('Format', exportFormat).wrap,
      h('div', { class: 'buttons' }, exportButton),
      exportStatus),
    importForm,
  );
  return () => {
    stopped = true;
  };
}
