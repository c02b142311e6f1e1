// The tables: a page of ListTables, each described (item count, size, billing,
// indexes, stream, TTL, deletion protection).

import { h, errorBox, showError, scroller, formatBytes, formatCount, announce, select, field } from '../dom.js';
import { ddb } from '../api.js';

/** Runs fn over values with at most `limit` at once; results in order. */
export async function pool(values, limit, fn) {
  const results = new Array(values.length);
  let next = 0;
  const worker = async () => {
    while (next < values.length) {
      const i = next++;
      try {
        results[i] = await fn(values[i], i);
      } catch (e) {
        results[i] = { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, values.length) }, worker));
  return results;
}

export function billingMode(t) {
  return (t.BillingModeSummary && t.BillingModeSummary.BillingMode) || (t.ProvisionedThroughput && t.ProvisionedThroughput.ReadCapacityUnits ? 'PROVISIONED' : 'PAY_PER_REQUEST');
}

export function billingText(t) {
  const mode = billingMode(t);
  if (mode === 'PROVISIONED') {
    const p = t.ProvisionedThroughput || {};
    return `Provisioned (${p.ReadCapacityUnits} RCU, ${p.WriteCapacityUnits} WCU)`;
  }
  return 'On demand';
}

export function streamText(t) {
  const s = t.StreamSpecification;
  return s && s.StreamEnabled ? `On (${s.StreamViewType})` : 'Off';
}

export function ttlText(ttl) {
  if (!ttl) return '—';
  const status = ttl.TimeToLiveStatus;
  if (status === 'ENABLED') return `On (${ttl.AttributeName})`;
  if (status === 'ENABLING') return `Enabling (${ttl.AttributeName})`;
  if (status === 'DISABLING') return 'Disabling';
  return 'Off';
}

export function indexesText(t) {
  const g = t.GlobalSecondaryIndexes || [];
  const l = t.LocalSecondaryIndexes || [];
  const parts = [];
  if (g.length) parts.push(`GSI: ${g.map((i) => (i.IndexStatus && i.IndexStatus !== 'ACTIVE' ? `${i.IndexName} (${i.IndexStatus})` : i.IndexName)).join(', ')}`);
  if (l.length) parts.push(`LSI: ${l.map((i) => i.IndexName).join(', ')}`);
  return parts.length ? parts.join('; ') : 'None';
}

export function render(main, { navigate }) {
  const error = errorBox();
  const body = h('div', { class: 'table-list' }, h('p', { class: 'loading' }, 'Loading tables…'));
  const pageSize = select([['10', '10'], ['25', '25'], ['50', '50'], ['100', '100']], { value: '25' });
  const sizeField = field('Tables per page', pageSize);
  const prev = h('button', { type: 'button' }, '← Previous');
  const next = h('button', { type: 'button' }, 'Next →');
  const refresh = h('button', { type: 'button' }, 'Refresh');
  const pageLabel = h('span', { class: 'page-label', tabindex: '-1' });
  main.append(
    h('div', { class: 'view-head' }, h('h1', null, 'Tables'), h('a', { href: '#/tables/new', class: 'button primary' }, 'Create table')),
    h('div', { class: 'toolbar' }, sizeField.wrap, h('div', { class: 'pager', role: 'group', 'aria-label': 'Pages' }, prev, pageLabel, next), refresh),
    error,
    body,
  );
  let starts = [undefined];
  let lastEvaluated;
  let stopped = false;
  // The latest load; an older one answering late is dropped. While one runs,
  // Previous and Next are ignored rather than disabled (a disabled button loses
  // the keyboard focus).
  let loads = 0;
  let loading = false;

  async function load() {
    const mine = ++loads;
    loading = true;
    showError(error, null);
    for (const b of [prev, next]) b.setAttribute('aria-disabled', 'true');
    pageLabel.textContent = `Page ${starts.length}`;
    try {
      const request = { Limit: Number(pageSize.value) };
      const start = starts[starts.length - 1];
      if (start) request.ExclusiveStartTableName = start;
      const out = await ddb('ListTables', request);
      const names = out.TableNames || [];
      const described = await pool(names, 4, async (name) => {
        const [d, ttl] = await Promise.all([
          ddb('DescribeTable', { TableName: name }),
          ddb('DescribeTimeToLive', { TableName: name }).catch(() => null),
        ]);
        return { table: d.Table, ttl: ttl && ttl.TimeToLiveDescription };
      });
      if (stopped || mine !== loads) return;
      lastEvaluated = out.LastEvaluatedTableName;
      draw(names, described);
      announce(`${names.length} table${names.length === 1 ? '' : 's'} on page ${starts.length}.`);
    } catch (e) {
      if (stopped || mine !== loads) return;
      lastEvaluated = undefined;
      showError(error, e);
      body.textContent = '';
    } finally {
      if (mine === loads) {
        loading = false;
        const focused = document.activeElement;
        for (const b of [prev, next]) b.removeAttribute('aria-disabled');
        prev.disabled = starts.length <= 1;
        next.disabled = !lastEvaluated;
        if ((focused === prev || focused === next) && focused.disabled) {
          const other = focused === prev ? next : prev;
          (other.disabled ? pageLabel : other).focus();
        }
      }
    }
  }

  function draw(names, described) {
    body.textContent = '';
    if (!names.length) {
      body.append(h('p', null, 'No tables yet. ', h('a', { href: '#/tables/new' }, 'Create one.')));
      return;
    }
    const headers = ['Name', 'Status', 'Items', 'Size', 'Billing', 'Indexes', 'Stream', 'TTL', 'Deletion protection', 'Actions'];
    const table = h('table', { class: 'tables' }, h('caption', null, 'Tables in this region'), h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))));
    const tbody = h('tbody');
    names.forEach((name, i) => {
      const d = described[i] || {};
      if (d.error || !d.table) {
        tbody.append(h('tr', null, h('th', { scope: 'row' }, name), h('td', { colspan: '9' }, d.error ? `${d.error.code || 'Error'}: ${d.error.message}` : '—')));
        return;
      }
      const t = d.table;
      tbody.append(
        h(
          'tr',
          { 'data-table': name },
          h('th', { scope: 'row' }, h('a', { href: `#/table/${encodeURIComponent(name)}` }, name)),
          h('td', null, t.TableStatus),
          h('td', { class: 'num' }, formatCount(t.ItemCount)),
          h('td', { class: 'num' }, formatBytes(t.TableSizeBytes)),
          h('td', null, billingText(t)),
          h('td', null, indexesText(t)),
          h('td', null, streamText(t)),
          h('td', null, ttlText(d.ttl)),
          h('td', null, t.DeletionProtectionEnabled ? 'On' : 'Off'),
          h(
            'td',
            { class: 'actions' },
            h('a', { href: `#/items/${encodeURIComponent(name)}`, 'aria-label': `Items of ${name}` }, 'Items'),
            ' ',
            h('a', { href: `#/streams/${encodeURIComponent(name)}`, 'aria-label': `Stream of ${name}` }, 'Stream'),
            ' ',
            h('a', { href: `#/capacity/${encodeURIComponent(name)}`, 'aria-label': `Capacity of ${name}` }, 'Capacity'),
          ),
        ),
      );
    });
    table.append(tbody);
    body.append(scroller('Tables', table), h('p', { class: 'hint' }, 'Item counts and sizes are as DescribeTable reports them.'));
  }

  prev.addEventListener('click', () => {
    if (!loading && starts.length > 1) {
      starts.pop();
      load();
    }
  });
  next.addEventListener('click', () => {
    if (!loading && lastEvaluated) {
      starts.push(lastEvaluated);
      load();
    }
  });
  refresh.addEventListener('click', () => load());
  pageSize.addEventListener('change', () => {
    starts = [undefined];
    load();
  });
  load();
  void navigate;
  return () => {
    stopped = true;
  };
}
