// PartiQL: ExecuteStatement with optional parameters, results a page at a time
// (NextToken; Previous keeps the tokens already seen).

import { h, errorBox, showError, field, uid, announce } from '../dom.js';
import { ddb } from '../api.js';
import { parseJson } from '../json.js';
import { checkItemShape, fromPlain } from '../ddb.js';
import { Pager, itemsTable, resultsPanel } from './common.js';

/** Parameters from text: a JSON array of DynamoDB JSON values or plain JSON values. */
export function parseParameters(text) {
  if (!text.trim()) return undefined;
  const value = parseJson(text);
  if (!Array.isArray(value)) throw new Error('Parameters are a JSON array, e.g. [{"S": "a"}, 5]');
  return value.map((v) => (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && checkItemShape({ p: v }).length === 0 ? v : fromPlain(v)));
}

export function render(main) {
  const statement = h('textarea', { rows: '5', spellcheck: 'false', autocomplete: 'off', class: 'code', name: 'statement' });
  statement.value = 'SELECT * FROM "table" WHERE pk = ?';
  const params = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', name: 'parameters' });
  const consistent = h('input', { type: 'checkbox', id: uid('cr') });
  const limit = h('input', { type: 'number', min: '1', step: '1', name: 'limit', inputmode: 'numeric' });
  const run = h('button', { type: 'submit', class: 'primary' }, 'Run');
  const error = errorBox();
  const countLine = h('p', { class: 'count' });
  let current = null;
  const panel = resultsPanel((items) => itemsTable({ items, caption: `Statement results, page ${pager.starts.length}` }));
  const pager = new Pager(
    async (token) => {
      const request = { ...current };
      if (token) request.NextToken = token;
      const out = await ddb('ExecuteStatement', request);
      return { items: out.Items || [], next: out.NextToken };
    },
    (result, number) => {
      showError(error, null);
      panel.show(result.items);
      countLine.textContent = `Page ${number}: ${result.items.length} item${result.items.length === 1 ? '' : 's'}.${result.next ? ' More on the next page.' : ''}`;
      announce(countLine.textContent);
    },
    (e) => showError(error, e),
  );
  const form = h('form', { class: 'card', novalidate: true, 'aria-label': 'PartiQL statement' },
    field('Statement', statement, 'SELECT, INSERT, UPDATE or DELETE; quote table names with double quotes and strings with single quotes.').wrap,
    field('Parameters (optional)', params, 'A JSON array for the ? markers: DynamoDB JSON values like {"S": "a"} or plain JSON values.').wrap,
    h('div', { class: 'row' },
      field('Limit (optional)', limit, 'Items evaluated per page; more pages follow with NextToken.').wrap,
      h('div', { class: 'check' }, consistent, h('label', { for: consistent.id }, 'Strongly consistent read'))),
    error,
    h('div', { class: 'buttons' }, run));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    showError(error, null);
    try {
      // Built whole before it replaces the statement Next / Previous page through.
      const request = { Statement: statement.value };
      const p = parseParameters(params.value);
      if (p) request.Parameters = p;
      if (consistent.checked) request.ConsistentRead = true;
      if (limit.value) request.Limit = Number(limit.value);
      current = request;
    } catch (e) {
      showError(error, e);
      params.focus();
      return;
    }
    pager.first();
  });
  // Ctrl+Enter in the statement runs it.
  statement.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  main.append(h('h1', null, 'PartiQL'), form, countLine, pager.element, panel.element);
  return undefined;
}
