// Items of a table: Scan or Query a page at a time (Limit + ExclusiveStartKey, a
// stack of start keys for Previous), a query builder (every sort key operator,
// filters, projection, order), results as a table or JSON, the item editor, bulk
// delete / edit of the selected rows, and export of the results.

import { h, errorBox, showError, field, select, uid, announce } from '../dom.js';
import { ddb, describeTable } from '../api.js';
import { keyOf, keyText, keyNames, typedValue } from '../ddb.js';
import { tablePicker, Pager, itemsTable, resultsPanel } from './common.js';
import { openEditor } from './editor.js';
import { bulkDelete, bulkEdit } from './bulk.js';
import { exportPages, formatSelect } from './transfer.js';

const SORT_OPERATORS = [['', 'no condition'], ['=', '='], ['<', '<'], ['<=', '<='], ['>', '>'], ['>=', '>='], ['BETWEEN', 'between'], ['begins_with', 'begins with']];
const FILTER_OPERATORS = [['=', '='], ['<>', '≠ (<>)'], ['<', '<'], ['<=', '<='], ['>', '>'], ['>=', '>='], ['BETWEEN', 'between'], ['begins_with', 'begins with'], ['contains', 'contains'], ['attribute_exists', 'exists'], ['attribute_not_exists', 'does not exist']];
const VALUE_TYPES = [['S', 'S'], ['N', 'N'], ['BOOL', 'BOOL'], ['NULL', 'NULL'], ['B', 'B (base64)']];

/** Builds the expression of one comparison; names and values get placeholders. */
export function comparison(op, nameRef, valueRefs) {
  switch (op) {
    case 'BETWEEN':
      return `${nameRef} BETWEEN ${valueRefs[0]} AND ${valueRefs[1]}`;
    case 'begins_with':
    case 'contains':
      return `${op}(${nameRef}, ${valueRefs[0]})`;
    case 'attribute_exists':
    case 'attribute_not_exists':
      return `${op}(${nameRef})`;
    default:
      return `${nameRef} ${op} ${valueRefs[0]}`;
  }
}

/**
 * The Query/Scan request parts from the builder's state: {KeyConditionExpression,
 * FilterExpression, ProjectionExpression, ExpressionAttributeNames, ExpressionAttributeValues}.
 * `partition`: [{name, type, value}], `sort`: [{name, type, op, value, value2}],
 * `filters`: [{name, op, type, value, value2}], `projection`: [names].
 */
export function buildExpressions({ query, partition = [], sort = [], filters = [], projection = [] }) {
  const names = {};
  const values = {};
  const out = {};
  if (query) {
    const parts = [];
    partition.forEach((k, i) => {
      if (k.value === '') throw new Error(`Enter a value for the partition key attribute ${k.name}.`);
      names[`#k${i}`] = k.name;
      values[`:k${i}`] = typedValue(k.type, k.value);
      parts.push(`#k${i} = :k${i}`);
    });
    let ended = null;
    sort.forEach((k, i) => {
      if (!k.op) {
        ended = ended || k.name;
        return;
      }
      if (ended) throw new Error(`Sort key conditions go left to right: give ${ended} before ${k.name}.`);
      names[`#r${i}`] = k.name;
      values[`:r${i}`] = typedValue(k.type, k.value);
      const refs = [`:r${i}`];
      if (k.op === 'BETWEEN') {
        values[`:r${i}b`] = typedValue(k.type, k.value2);
        refs.push(`:r${i}b`);
      }
      parts.push(comparison(k.op, `#r${i}`, refs));
    });
    const used = sort.filter((k) => k.op);
    used.slice(0, -1).forEach((k) => {
      if (k.op !== '=') throw new Error(`Only the last sort key attribute in a condition may use ${k.op}; ${k.name} needs =.`);
    });
    out.KeyConditionExpression = parts.join(' AND ');
  }
  const filterParts = [];
  filters.forEach((f, i) => {
    if (!f.name) return;
    names[`#f${i}`] = f.name;
    const refs = [];
    if (f.op !== 'attribute_exists' && f.op !== 'attribute_not_exists') {
      values[`:f${i}`] = typedValue(f.type, f.value);
      refs.push(`:f${i}`);
      if (f.op === 'BETWEEN') {
        values[`:f${i}b`] = typedValue(f.type, f.value2);
        refs.push(`:f${i}b`);
      }
    }
    filterParts.push(comparison(f.op, `#f${i}`, refs));
  });
  if (filterParts.length) out.FilterExpression = filterParts.join(' AND ');
  if (projection.length) {
    out.ProjectionExpression = projection.map((p, i) => {
      names[`#p${i}`] = p;
      return `#p${i}`;
    }).join(', ');
  }
  if (Object.keys(names).length) out.ExpressionAttributeNames = names;
  if (Object.keys(values).length) out.ExpressionAttributeValues = values;
  return out;
}

function attributeType(table, name) {
  const def = (table.AttributeDefinitions || []).find((a) => a.AttributeName === name);
  return def ? def.AttributeType : 'S';
}

function filterRow(onRemove) {
  const name = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', class: 'filter-name' });
  const op = select(FILTER_OPERATORS, { class: 'filter-op' });
  const type = select(VALUE_TYPES, { class: 'filter-type' });
  const value = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', class: 'filter-value' });
  const value2 = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', class: 'filter-value2' });
  const v2 = field('and', value2);
  const v1 = field('Value', value);
  const t = field('Type', type);
  const row = h('div', { class: 'filter-row' }, field('Attribute', name).wrap, field('Condition', op).wrap, t.wrap, v1.wrap, v2.wrap);
  row.append(h('button', { type: 'button', class: 'small', onclick: () => onRemove(row), 'aria-label': 'Remove this filter' }, 'Remove'));
  const sync = () => {
    const noValue = op.value === 'attribute_exists' || op.value === 'attribute_not_exists';
    v1.wrap.hidden = noValue;
    t.wrap.hidden = noValue;
    v2.wrap.hidden = op.value !== 'BETWEEN';
  };
  op.addEventListener('change', sync);
  sync();
  return { row, name, value: () => ({ name: name.value.trim(), op: op.value, type: type.value, value: value.value, value2: value2.value }) };
}

export function render(main, { param: tableName, navigate }) {
  let stopped = false;
  const picker = tablePicker('items', tableName, navigate);
  const head = h('div', { class: 'view-head' }, h('h1', null, tableName ? `Items of ${tableName}` : 'Items'), picker.wrap);
  main.append(head);
  if (!tableName) {
    main.append(h('p', null, 'Choose a table to browse its items.'));
    return undefined;
  }
  const error = errorBox();
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading…'));
  main.append(error, body);
  describeTable(tableName).then(
    (table) => {
      if (stopped) return;
      body.textContent = '';
      if (!table) {
        showError(error, new Error(`Table ${tableName} was not found.`));
        return;
      }
      build(body, table);
    },
    (e) => showError(error, e),
  );

  function build(container, table) {
    const keySchema = table.KeySchema;
    const selection = new Map();
    const opName = uid('op');
    const scanRadio = h('input', { type: 'radio', name: opName, id: uid('r'), value: 'Scan', checked: true });
    const queryRadio = h('input', { type: 'radio', name: opName, id: uid('r'), value: 'Query' });
    const targets = [['', `Table ${table.TableName}`]];
    for (const g of table.GlobalSecondaryIndexes || []) targets.push([g.IndexName, `Global index ${g.IndexName}`]);
    for (const l of table.LocalSecondaryIndexes || []) targets.push([l.IndexName, `Local index ${l.IndexName}`]);
    const target = select(targets, { name: 'target' });
    const keyArea = h('fieldset', { class: 'key-conditions' }, h('legend', null, 'Key condition'));
    const filters = [];
    const filterList = h('div', { class: 'filter-list' });
    const addFilter = h('button', { type: 'button', class: 'small' }, 'Add filter');
    const projection = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', name: 'projection' });
    const order = select([['asc', 'Ascending'], ['desc', 'Descending']], { name: 'order' });
    const orderField = field('Sort order', order);
    const limit = h('input', { type: 'number', min: '1', max: '1000', step: '1', value: '25', name: 'limit', inputmode: 'numeric' });
    const consistent = h('input', { type: 'checkbox', id: uid('cr') });
    const consistentField = h('div', { class: 'check' }, consistent, h('label', { for: consistent.id }, 'Strongly consistent read'));
    const run = h('button', { type: 'submit', class: 'primary' }, 'Run');
    const requestView = h('pre', { class: 'json', tabindex: '0', 'aria-label': 'The last request' }, '');
    let keyInputs = { partition: [], sort: [] };

    const indexOf = () => [...(table.GlobalSecondaryIndexes || []), ...(table.LocalSecondaryIndexes || [])].find((i) => i.IndexName === target.value);
    const targetSchema = () => (target.value ? indexOf().KeySchema : keySchema);

    function drawKeyInputs() {
      while (keyArea.childNodes.length > 1) keyArea.lastChild.remove();
      keyInputs = { partition: [], sort: [] };
      const schema = targetSchema();
      for (const k of schema.filter((x) => x.KeyType === 'HASH')) {
        const type = attributeType(table, k.AttributeName);
        const input = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', 'data-key': k.AttributeName });
        keyArea.append(field(`${k.AttributeName} (partition key, ${type}) =`, input).wrap);
        keyInputs.partition.push({ name: k.AttributeName, type, input });
      }
      for (const k of schema.filter((x) => x.KeyType === 'RANGE')) {
        const type = attributeType(table, k.AttributeName);
        const op = select(SORT_OPERATORS, { 'data-key': k.AttributeName });
        const value = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', 'data-key': k.AttributeName });
        const value2 = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', 'data-key2': k.AttributeName });
        const v1 = field('Value', value);
        const v2 = field('and', value2);
        const sync = () => {
          v1.wrap.hidden = !op.value;
          v2.wrap.hidden = op.value !== 'BETWEEN';
        };
        op.addEventListener('change', sync);
        sync();
        keyArea.append(h('div', { class: 'sort-row' }, field(`${k.AttributeName} (sort key, ${type})`, op).wrap, v1.wrap, v2.wrap));
        keyInputs.sort.push({ name: k.AttributeName, type, op, value, value2 });
      }
    }

    const syncMode = () => {
      const isQuery = queryRadio.checked;
      keyArea.hidden = !isQuery;
      orderField.wrap.hidden = !isQuery;
      const gsi = (table.GlobalSecondaryIndexes || []).some((g) => g.IndexName === target.value);
      consistentField.hidden = gsi;
      if (gsi) consistent.checked = false;
    };
    scanRadio.addEventListener('change', syncMode);
    queryRadio.addEventListener('change', syncMode);
    target.addEventListener('change', () => {
      drawKeyInputs();
      syncMode();
    });
    addFilter.addEventListener('click', () => {
      const f = filterRow((row) => {
        filters.splice(filters.findIndex((x) => x.row === row), 1);
        row.remove();
        addFilter.focus();
      });
      filters.push(f);
      filterList.append(f.row);
      f.name.focus();
    });

    const form = h('form', { class: 'query card', novalidate: true, 'aria-label': 'Find items' },
      h('div', { class: 'row' },
        h('fieldset', { class: 'switch' }, h('legend', null, 'Operation'), scanRadio, h('label', { for: scanRadio.id }, 'Scan'), queryRadio, h('label', { for: queryRadio.id }, 'Query')),
        field('Table or index', target).wrap),
      keyArea,
      h('fieldset', { class: 'filters' }, h('legend', null, 'Filters (all must match)'), filterList, addFilter),
      h('div', { class: 'row' },
        field('Attributes to return', projection, 'Comma-separated top-level names; empty for all. The key attributes are always returned.').wrap,
        orderField.wrap,
        field('Page size (Limit)', limit).wrap,
        consistentField),
      h('div', { class: 'buttons' }, run),
      h('details', null, h('summary', null, 'Request sent'), requestView));
    drawKeyInputs();
    syncMode();

    // Toolbar: create, selection actions, export.
    const selectedText = h('span', { class: 'selected-count', 'aria-live': 'polite' }, '0 selected');
    const createButton = h('button', { type: 'button', class: 'primary' }, 'Create item');
    const editSelected = h('button', { type: 'button', disabled: true }, 'Edit selected');
    const deleteSelected = h('button', { type: 'button', class: 'danger', disabled: true }, 'Delete selected');
    const clearSelected = h('button', { type: 'button', disabled: true }, 'Clear selection');
    const exportFormat = formatSelect();
    const exportPage = h('button', { type: 'button' }, 'Download this page');
    const exportAll = h('button', { type: 'button' }, 'Download all results');
    const exportStatus = h('span', { class: 'hint', 'aria-live': 'polite' });
    const syncSelection = () => {
      selectedText.textContent = `${selection.size} selected`;
      editSelected.disabled = deleteSelected.disabled = clearSelected.disabled = selection.size === 0;
    };

    const countLine = h('p', { class: 'count', tabindex: '-1' });
    let lastItems = [];
    let lastRequest = null;
    const openItem = async (item) => {
      showError(error, null);
      try {
        const key = keyOf(item, keySchema);
        const got = await ddb('GetItem', { TableName: table.TableName, Key: key, ConsistentRead: true });
        if (!got.Item) {
          showError(error, new Error(`The item ${keyText(key)} no longer exists.`));
          return;
        }
        await openEditor({ table: table.TableName, keySchema, item: got.Item, mode: 'edit', onSaved: () => pager.reload() });
      } catch (e) {
        showError(error, e);
      }
    };
    const panel = resultsPanel((items) => itemsTable({
      items,
      keySchema,
      caption: `Items of ${table.TableName}, page ${pager.starts.length}`,
      selection,
      onOpen: openItem,
      onSelectionChange: syncSelection,
    }));

    // A projection keeps the table's key attributes: without them a row could not
    // be opened, selected or deleted, and every row would have the same (empty) key.
    function withKeys(names) {
      if (!names.length) return names;
      const out = [];
      for (const n of [...names, ...keyNames(keySchema)]) if (!out.includes(n)) out.push(n);
      return out;
    }

    function currentRequest() {
      const isQuery = queryRadio.checked;
      const request = { TableName: table.TableName };
      if (target.value) request.IndexName = target.value;
      Object.assign(request, buildExpressions({
        query: isQuery,
        partition: keyInputs.partition.map((k) => ({ name: k.name, type: k.type, value: k.input.value })),
        sort: keyInputs.sort.map((k) => ({ name: k.name, type: k.type, op: k.op.value, value: k.value.value, value2: k.value2.value })),
        filters: filters.map((f) => f.value()),
        projection: withKeys(projection.value.split(',').map((x) => x.trim()).filter(Boolean)),
      }));
      if (isQuery && order.value === 'desc') request.ScanIndexForward = false;
      if (consistent.checked) request.ConsistentRead = true;
      return { operation: isQuery ? 'Query' : 'Scan', request };
    }

    const pager = new Pager(
      async (start) => {
        const { operation, request } = lastRequest;
        const page = { ...request, Limit: Math.max(1, Math.min(1000, Number(limit.value) || 25)) };
        if (start) page.ExclusiveStartKey = start;
        requestView.textContent = `${operation}\n${JSON.stringify(page, null, 2)}`;
        const out = await ddb(operation, page);
        return { items: out.Items || [], next: out.LastEvaluatedKey, count: out.Count, scanned: out.ScannedCount };
      },
      (result, number) => {
        lastItems = result.items;
        showError(error, null);
        panel.show(result.items);
        const more = result.next ? ' More on the next page.' : ' No more pages.';
        const dropped = result.items.length === 0 && result.next ? ' (the filter kept none of the items read on this page)' : '';
        countLine.textContent = `Page ${number}: ${result.count} item${result.count === 1 ? '' : 's'} (${result.scanned} read)${dropped}.${more}`;
        announce(countLine.textContent);
      },
      (e) => showError(error, e),
    );

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      showError(error, null);
      try {
        lastRequest = currentRequest();
      } catch (e) {
        showError(error, e);
        return;
      }
      pager.first();
    });
    createButton.addEventListener('click', () => {
      const blank = {};
      for (const k of keySchema) blank[k.AttributeName] = attributeType(table, k.AttributeName) === 'N' ? { N: '0' } : { S: '' };
      openEditor({ table: table.TableName, keySchema, item: blank, mode: 'create', onSaved: () => pager.reload() });
    });
    deleteSelected.addEventListener('click', async () => {
      const n = await bulkDelete(table.TableName, [...selection.values()]);
      if (n) {
        selection.clear();
        syncSelection();
        pager.reload();
      }
      // With the selection gone the button is disabled and cannot hold the focus:
      // the line that tells how many items the page holds now takes it.
      (deleteSelected.disabled ? countLine : deleteSelected).focus();
    });
    editSelected.addEventListener('click', async () => {
      const n = await bulkEdit(table.TableName, [...selection.values()], keySchema);
      if (n) pager.reload();
      editSelected.focus();
    });
    clearSelected.addEventListener('click', () => {
      selection.clear();
      syncSelection();
      panel.show(lastItems);
      countLine.focus(); // the button is disabled now and has lost the focus
    });
    exportPage.addEventListener('click', () => {
      exportPages(table.TableName, keySchema, exportFormat.value, async () => ({ items: lastItems }), exportStatus);
    });
    exportAll.addEventListener('click', () => {
      if (!lastRequest) return;
      const { operation, request } = lastRequest;
      exportPages(table.TableName, keySchema, exportFormat.value, async (start) => {
        const out = await ddb(operation, start ? { ...request, ExclusiveStartKey: start } : request);
        return { items: out.Items || [], next: out.LastEvaluatedKey };
      }, exportStatus, () => stopped);
    });

    container.append(
      form,
      h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Item actions' }, createButton, selectedText, editSelected, deleteSelected, clearSelected),
      countLine,
      pager.element,
      panel.element,
      h('div', { class: 'toolbar export', role: 'group', 'aria-label': 'Export the results' }, field('Export format', exportFormat).wrap, exportPage, exportAll, exportStatus),
    );
    lastRequest = currentRequest();
    pager.first();
  }

  return () => {
    stopped = true;
  };
}
