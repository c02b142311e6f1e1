// One table: its description, deletion protection, stream and TTL settings,
// adding and removing GSIs (with backfill progress), and deleting the table.

import { h, errorBox, showError, field, select, scroller, formatBytes, formatCount, announce, confirmDialog, busyButton } from '../dom.js';
import { ddb } from '../api.js';
import { billingText, billingMode, streamText, ttlText } from './tables.js';
import { gsiEditor, attributeDefinitions } from './create-table.js';

function keysText(keySchema) {
  const hash = keySchema.filter((k) => k.KeyType === 'HASH').map((k) => k.AttributeName);
  const range = keySchema.filter((k) => k.KeyType === 'RANGE').map((k) => k.AttributeName);
  return `partition: ${hash.join(' + ')}${range.length ? `; sort: ${range.join(' + ')}` : ''}`;
}

function projectionText(p) {
  if (!p) return '—';
  return p.ProjectionType === 'INCLUDE' ? `INCLUDE (${(p.NonKeyAttributes || []).join(', ')})` : p.ProjectionType;
}

/** Text and progress of an index's state: CREATING, backfilling with a percentage when known, ACTIVE... */
export function indexState(index) {
  const status = index.IndexStatus || 'ACTIVE';
  const pct = index.OnlineIndexPercentageProgress;
  let text = status;
  if (index.Backfilling) text += ' — backfilling';
  if (typeof pct === 'number' && status !== 'ACTIVE') text += ` (${pct.toFixed(pct % 1 ? 1 : 0)}%)`;
  return { text, status, pct: typeof pct === 'number' ? pct : null, busy: status !== 'ACTIVE' || !!index.Backfilling };
}

export function render(main, { param: name, navigate }) {
  let stopped = false;
  let timer = null;
  let table = null;
  const pageError = errorBox();
  const summary = h('div', { class: 'summary' }, h('p', { class: 'loading' }, 'Loading…'));
  const settings = h('div', { class: 'settings' });
  const gsiArea = h('div');
  const lsiArea = h('div');
  const gsiError = errorBox();
  const deleteError = errorBox();
  const statusLine = h('p', { class: 'progress-text', 'aria-live': 'polite' });

  // Adding a GSI.
  const addError = errorBox();
  const editor = gsiEditor('to add', () => table && billingMode(table) === 'PROVISIONED');
  const addButton = h('button', { type: 'submit', class: 'primary' }, 'Add index');
  const addForm = h('form', { class: 'card', novalidate: true }, editor.element, addError, h('div', { class: 'buttons' }, addButton));
  addForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError(addError, null);
    const { index, attributes } = editor.value();
    if (!index.IndexName || !index.KeySchema.length) {
      showError(addError, new Error('An index needs a name and at least one partition key attribute.'));
      return;
    }
    const done = busyButton(addButton);
    try {
      await ddb('UpdateTable', {
        TableName: name,
        AttributeDefinitions: attributeDefinitions(attributes),
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      });
      announce(`Creating index ${index.IndexName}.`);
      await refresh();
    } catch (e) {
      showError(addError, e);
    } finally {
      done();
    }
  });

  const deleteButton = h('button', { type: 'button', class: 'danger' }, 'Delete table');
  deleteButton.addEventListener('click', async () => {
    showError(deleteError, null);
    const ok = await confirmDialog({
      title: `Delete table ${name}?`,
      message: 'The table, its indexes and every item are deleted. This cannot be undone.',
      confirmLabel: 'Delete table',
      danger: true,
    });
    if (!ok) {
      deleteButton.focus();
      return;
    }
    try {
      await ddb('DeleteTable', { TableName: name });
      announce(`Table ${name} deleted.`);
      navigate('#/tables');
    } catch (e) {
      showError(deleteError, e);
      deleteButton.focus();
    }
  });

  main.append(
    h('div', { class: 'view-head' }, h('h1', null, `Table ${name}`),
      h('nav', { class: 'subnav', 'aria-label': `Views of ${name}` },
        h('a', { href: `#/items/${encodeURIComponent(name)}` }, 'Items'),
        h('a', { href: `#/streams/${encodeURIComponent(name)}` }, 'Stream'),
        h('a', { href: `#/capacity/${encodeURIComponent(name)}` }, 'Capacity'),
        h('a', { href: `#/transfer/${encodeURIComponent(name)}` }, 'Import / export'))),
    pageError,
    summary,
    statusLine,
    h('section', { 'aria-labelledby': 'settings-h' }, h('h2', { id: 'settings-h' }, 'Settings'), settings),
    h('section', { 'aria-labelledby': 'gsi-h' }, h('h2', { id: 'gsi-h', tabindex: '-1' }, 'Global secondary indexes'), gsiError, gsiArea,
      h('details', { class: 'add-index' }, h('summary', null, 'Add a global secondary index'), addForm)),
    h('section', { 'aria-labelledby': 'lsi-h' }, h('h2', { id: 'lsi-h' }, 'Local secondary indexes'), lsiArea),
    h('section', { 'aria-labelledby': 'danger-h', class: 'danger-zone' }, h('h2', { id: 'danger-h' }, 'Delete'),
      h('p', null, 'Deleting is refused while deletion protection is on (turn it off under Settings).'), deleteError, h('div', { class: 'buttons' }, deleteButton)),
  );

  function drawSummary(t, ttl) {
    const rows = [
      ['Status', t.TableStatus],
      ['Key', keysText(t.KeySchema)],
      ['Attribute definitions', (t.AttributeDefinitions || []).map((a) => `${a.AttributeName} (${a.AttributeType})`).join(', ')],
      ['Items', formatCount(t.ItemCount)],
      ['Size', formatBytes(t.TableSizeBytes)],
      ['Billing', billingText(t)],
      ['Stream', streamText(t)],
      ['TTL', ttlText(ttl)],
      ['Deletion protection', t.DeletionProtectionEnabled ? 'On' : 'Off'],
      ['ARN', t.TableArn],
    ];
    if (t.LatestStreamArn) rows.push(['Latest stream ARN', t.LatestStreamArn]);
    summary.textContent = '';
    summary.append(h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v || '—')])));
  }

  function drawSettings(t, ttl) {
    settings.textContent = '';
    // Deletion protection.
    const protect = h('input', { type: 'checkbox', id: 'setting-protect', checked: !!t.DeletionProtectionEnabled, role: 'switch' });
    const protectError = errorBox();
    protect.addEventListener('change', async () => {
      showError(protectError, null);
      refocus = protect.id;
      try {
        await ddb('UpdateTable', { TableName: name, DeletionProtectionEnabled: protect.checked });
        announce(`Deletion protection ${protect.checked ? 'on' : 'off'}.`);
        await refresh();
      } catch (e) {
        protect.checked = !protect.checked;
        showError(protectError, e);
      }
    });
    // Stream.
    const streamOn = !!(t.StreamSpecification && t.StreamSpecification.StreamEnabled);
    const viewType = select([['NEW_AND_OLD_IMAGES', 'New and old images'], ['NEW_IMAGE', 'New image'], ['OLD_IMAGE', 'Old image'], ['KEYS_ONLY', 'Keys only']]);
    const streamButton = h('button', { type: 'button', id: 'setting-stream' }, streamOn ? 'Turn the stream off' : 'Turn the stream on');
    const streamError = errorBox();
    streamButton.addEventListener('click', async () => {
      showError(streamError, null);
      refocus = streamButton.id;
      try {
        await ddb('UpdateTable', {
          TableName: name,
          StreamSpecification: streamOn ? { StreamEnabled: false } : { StreamEnabled: true, StreamViewType: viewType.value },
        });
        announce(`Stream ${streamOn ? 'off' : 'on'}.`);
        await refresh();
      } catch (e) {
        showError(streamError, e);
      }
    });
    // TTL.
    const ttlOn = ttl && (ttl.TimeToLiveStatus === 'ENABLED' || ttl.TimeToLiveStatus === 'ENABLING');
    const ttlAttr = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', value: (ttl && ttl.AttributeName) || '', disabled: !!ttlOn });
    const ttlButton = h('button', { type: 'button', id: 'setting-ttl' }, ttlOn ? 'Turn TTL off' : 'Turn TTL on');
    const ttlError = errorBox();
    ttlButton.addEventListener('click', async () => {
      showError(ttlError, null);
      refocus = ttlButton.id;
      try {
        await ddb('UpdateTimeToLive', { TableName: name, TimeToLiveSpecification: { Enabled: !ttlOn, AttributeName: ttlAttr.value.trim() } });
        announce(`TTL ${ttlOn ? 'off' : 'on'}.`);
        await refresh();
      } catch (e) {
        showError(ttlError, e);
      }
    });
    settings.append(
      h('div', { class: 'setting' }, h('div', { class: 'check' }, protect, h('label', { for: protect.id }, 'Deletion protection')), protectError),
      h('div', { class: 'setting' }, h('p', null, `Stream: ${streamText(t)}`), streamOn ? null : field('Stream view type', viewType).wrap, h('div', { class: 'buttons' }, streamButton), streamError),
      h('div', { class: 'setting' }, h('p', null, `TTL: ${ttlText(ttl)}`), field('TTL attribute', ttlAttr).wrap, h('div', { class: 'buttons' }, ttlButton), ttlError),
    );
  }

  function drawIndexes(t) {
    const gsis = t.GlobalSecondaryIndexes || [];
    gsiArea.textContent = '';
    if (!gsis.length) {
      gsiArea.append(h('p', null, 'None.'));
    } else {
      const headers = ['Name', 'Key', 'Projection', 'Status', 'Items', 'Size', 'Capacity', 'Actions'];
      const tbody = h('tbody');
      for (const g of gsis) {
        const state = indexState(g);
        const statusCell = h('td', { class: 'index-status', 'data-status': state.status }, state.text);
        if (state.busy) {
          const bar = h('progress', { max: '100', 'aria-label': `Backfill of ${g.IndexName}` });
          if (state.pct !== null) bar.value = state.pct;
          statusCell.append(' ', bar);
        }
        // A stable id: the table is drawn again each second while an index is
        // built, and the focus is put back on the control of the same id.
        const remove = h('button', { type: 'button', class: 'small danger', id: `delete-index-${g.IndexName}`, disabled: g.IndexStatus === 'DELETING' }, 'Delete index');
        remove.setAttribute('aria-label', `Delete index ${g.IndexName}`);
        remove.addEventListener('click', async () => {
          showError(gsiError, null);
          const ok = await confirmDialog({ title: `Delete index ${g.IndexName}?`, message: 'Queries of this index stop working; the table keeps its items.', confirmLabel: 'Delete index', danger: true });
          if (!ok) {
            // The button that opened the dialog may have been drawn again meanwhile.
            const again = document.getElementById(remove.id);
            if (again && !remove.isConnected) again.focus();
            return;
          }
          try {
            await ddb('UpdateTable', { TableName: name, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: g.IndexName } }] });
            announce(`Deleting index ${g.IndexName}.`);
            refocus = 'gsi-h';
            await refresh();
          } catch (e) {
            showError(gsiError, e);
          }
        });
        const p = g.ProvisionedThroughput;
        tbody.append(
          h('tr', { 'data-index': g.IndexName },
            h('th', { scope: 'row' }, g.IndexName),
            h('td', null, keysText(g.KeySchema)),
            h('td', null, projectionText(g.Projection)),
            statusCell,
            h('td', { class: 'num' }, formatCount(g.ItemCount)),
            h('td', { class: 'num' }, formatBytes(g.IndexSizeBytes)),
            h('td', null, p && p.ReadCapacityUnits ? `${p.ReadCapacityUnits} RCU, ${p.WriteCapacityUnits} WCU` : 'On demand'),
            h('td', null, remove)),
        );
      }
      gsiArea.append(Object.assign(scroller('Global secondary indexes', h('table', null, h('caption', null, `Global secondary indexes of ${name}`), h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))), tbody)), { id: 'gsi-table' }));
    }
    const lsis = t.LocalSecondaryIndexes || [];
    lsiArea.textContent = '';
    if (!lsis.length) {
      lsiArea.append(h('p', null, 'None.'));
    } else {
      const tbody = h('tbody');
      for (const l of lsis) {
        tbody.append(h('tr', null, h('th', { scope: 'row' }, l.IndexName), h('td', null, keysText(l.KeySchema)), h('td', null, projectionText(l.Projection)), h('td', { class: 'num' }, formatCount(l.ItemCount))));
      }
      lsiArea.append(scroller('Local secondary indexes', h('table', null, h('caption', null, `Local secondary indexes of ${name}`), h('thead', null, h('tr', null, ['Name', 'Key', 'Projection', 'Items'].map((x) => h('th', { scope: 'col' }, x)))), tbody)));
    }
  }

  let wasBusy = false;
  let refocus = null;
  // What the settings were drawn from: they are drawn again only when it changes,
  // so the polling while an index is built neither wipes what is being typed in
  // them nor takes the focus away.
  let settingsDrawn = null;
  async function refresh() {
    window.clearTimeout(timer);
    try {
      const [d, ttlOut] = await Promise.all([
        ddb('DescribeTable', { TableName: name }),
        ddb('DescribeTimeToLive', { TableName: name }).catch(() => null),
      ]);
      if (stopped) return;
      table = d.Table;
      const ttl = ttlOut && ttlOut.TimeToLiveDescription;
      showError(pageError, null);
      const active = document.activeElement;
      const focusedId = active && active.id && [summary, settings, gsiArea, lsiArea].some((area) => area.contains(active)) ? active.id : null;
      drawSummary(table, ttl);
      const settingsState = JSON.stringify([table.DeletionProtectionEnabled, table.StreamSpecification, table.LatestStreamArn, ttl]);
      if (settingsState !== settingsDrawn) {
        settingsDrawn = settingsState;
        drawSettings(table, ttl);
      }
      drawIndexes(table);
      editor.syncBilling();
      const back = refocus || (focusedId && !active.isConnected ? focusedId : null);
      refocus = null;
      if (back) {
        const again = document.getElementById(back);
        if (again) again.focus();
      }
      const busy = table.TableStatus !== 'ACTIVE' || (table.GlobalSecondaryIndexes || []).some((g) => indexState(g).busy);
      statusLine.textContent = busy ? 'Updating: the view refreshes every second until every index is ACTIVE.' : '';
      if (wasBusy && !busy) announce('Every index is ACTIVE.');
      wasBusy = busy;
      // Another refresh (a button's) may have finished meanwhile and set a timer:
      // one timer at most, so polls never pile up.
      window.clearTimeout(timer);
      if (busy) timer = window.setTimeout(refresh, 1000);
    } catch (e) {
      if (stopped) return;
      showError(pageError, e);
      if (e.code === 'ResourceNotFoundException') {
        summary.textContent = '';
      } else if (wasBusy) {
        // A failed poll while an index is built: try again rather than freeze.
        window.clearTimeout(timer);
        timer = window.setTimeout(refresh, 2000);
      }
    }
  }
  refresh();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}
