// Creating a table in one form: keys, billing, GSIs (up to 4 partition and 4 sort
// key attributes each), LSIs, stream and TTL. The index editors are shared with
// the table page's "Add index".

import { h, errorBox, showError, field, select, uid, announce, sleep, busyButton } from '../dom.js';
import { ddb } from '../api.js';

const ATTRIBUTE_TYPES = [['S', 'String (S)'], ['N', 'Number (N)'], ['B', 'Binary (B)']];

/** One key attribute: name and type, with an optional remove button. */
function keyAttributeRow(labelPrefix, removable, onRemove) {
  const name = h('input', { type: 'text', required: true, spellcheck: 'false', autocomplete: 'off' });
  const type = select(ATTRIBUTE_TYPES);
  const row = h('div', { class: 'key-row' }, field(`${labelPrefix} name`, name).wrap, field(`${labelPrefix} type`, type).wrap);
  if (removable) {
    row.append(h('button', { type: 'button', class: 'small', onclick: () => onRemove(row), 'aria-label': `Remove ${labelPrefix.toLowerCase()}` }, 'Remove'));
  }
  return { row, name, type };
}

/** A list of 0..max key attributes of one role (partition or sort). */
export function keyList(role, min, max) {
  const rows = [];
  const list = h('div', { class: 'key-list' });
  const addButton = h('button', { type: 'button', class: 'small' }, `Add ${role} key attribute`);
  const element = h('fieldset', { class: 'keys' }, h('legend', null, `${role[0].toUpperCase()}${role.slice(1)} key attributes (${min ? `${min} to ${max}` : `up to ${max}`})`), list, addButton);
  const relabel = () => {
    rows.forEach((r, i) => {
      const labels = r.row.querySelectorAll('label');
      labels[0].textContent = `${role[0].toUpperCase()}${role.slice(1)} key ${i + 1} name`;
      labels[1].textContent = `${role[0].toUpperCase()}${role.slice(1)} key ${i + 1} type`;
    });
    addButton.disabled = rows.length >= max;
  };
  const add = () => {
    const r = keyAttributeRow(`${role} key ${rows.length + 1}`, true, (rowEl) => {
      const at = rows.findIndex((x) => x.row === rowEl);
      if (at >= 0 && rows.length > min) {
        rows.splice(at, 1);
        rowEl.remove();
        relabel();
        addButton.focus();
      }
    });
    rows.push(r);
    list.append(r.row);
    relabel();
    return r;
  };
  addButton.addEventListener('click', () => add().name.focus());
  for (let i = 0; i < min; i++) add();
  return {
    element,
    values: () => rows.map((r) => ({ name: r.name.value.trim(), type: r.type.value })).filter((r) => r.name),
  };
}

function projectionFields() {
  const type = select([['ALL', 'All attributes (ALL)'], ['KEYS_ONLY', 'Keys only (KEYS_ONLY)'], ['INCLUDE', 'Keys and chosen attributes (INCLUDE)']]);
  const include = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off' });
  const includeField = field('Projected attributes', include, 'Comma-separated names.');
  includeField.wrap.hidden = true;
  type.addEventListener('change', () => {
    includeField.wrap.hidden = type.value !== 'INCLUDE';
  });
  return {
    elements: [field('Projection', type).wrap, includeField.wrap],
    value: () => {
      const p = { ProjectionType: type.value };
      if (type.value === 'INCLUDE') p.NonKeyAttributes = include.value.split(',').map((x) => x.trim()).filter(Boolean);
      return p;
    },
  };
}

function throughputFields(prefix) {
  const rcu = h('input', { type: 'number', min: '1', step: '1', value: '5', inputmode: 'numeric' });
  const wcu = h('input', { type: 'number', min: '1', step: '1', value: '5', inputmode: 'numeric' });
  const wrap = h('div', { class: 'row' }, field(`${prefix}read capacity units`, rcu).wrap, field(`${prefix}write capacity units`, wcu).wrap);
  return { wrap, value: () => ({ ReadCapacityUnits: Number(rcu.value), WriteCapacityUnits: Number(wcu.value) }) };
}

/**
 * A GSI definition editor. isProvisioned() tells whether to ask for capacity.
 * Returns {element, value(): {index, attributes}, syncBilling()}.
 */
export function gsiEditor(number, isProvisioned, onRemove) {
  const name = h('input', { type: 'text', required: true, spellcheck: 'false', autocomplete: 'off' });
  const partition = keyList('partition', 1, 4);
  const sort = keyList('sort', 0, 4);
  const projection = projectionFields();
  const throughput = throughputFields('Index ');
  const legend = h('legend', null, `Global secondary index ${number}`);
  const element = h(
    'fieldset',
    { class: 'index gsi' },
    legend,
    field('Index name', name).wrap,
    h('p', { class: 'hint' }, 'A GSI key may have up to 4 partition and 4 sort key attributes; a query gives every partition attribute and a left-to-right prefix of the sort attributes.'),
    partition.element,
    sort.element,
    ...projection.elements,
    throughput.wrap,
  );
  if (onRemove) element.append(h('button', { type: 'button', class: 'small', onclick: () => onRemove(element) }, `Remove global secondary index ${number}`));
  const syncBilling = () => {
    throughput.wrap.hidden = !isProvisioned();
  };
  syncBilling();
  return {
    element,
    name,
    syncBilling,
    value() {
      const keys = [...partition.values().map((k) => ({ ...k, role: 'HASH' })), ...sort.values().map((k) => ({ ...k, role: 'RANGE' }))];
      const index = {
        IndexName: name.value.trim(),
        KeySchema: keys.map((k) => ({ AttributeName: k.name, KeyType: k.role })),
        Projection: projection.value(),
      };
      if (isProvisioned()) index.ProvisionedThroughput = throughput.value();
      return { index, attributes: keys };
    },
  };
}

function lsiEditor(number, onRemove) {
  const name = h('input', { type: 'text', required: true, spellcheck: 'false', autocomplete: 'off' });
  const sortName = h('input', { type: 'text', required: true, spellcheck: 'false', autocomplete: 'off' });
  const sortType = select(ATTRIBUTE_TYPES);
  const projection = projectionFields();
  const element = h(
    'fieldset',
    { class: 'index lsi' },
    h('legend', null, `Local secondary index ${number}`),
    field('Index name', name).wrap,
    h('p', { class: 'hint' }, "Same partition key as the table, another sort key."),
    h('div', { class: 'key-row' }, field('Sort key name', sortName).wrap, field('Sort key type', sortType).wrap),
    ...projection.elements,
    h('button', { type: 'button', class: 'small', onclick: () => onRemove(element) }, `Remove local secondary index ${number}`),
  );
  return {
    element,
    value: (hashName) => ({
      index: {
        IndexName: name.value.trim(),
        KeySchema: [
          { AttributeName: hashName, KeyType: 'HASH' },
          { AttributeName: sortName.value.trim(), KeyType: 'RANGE' },
        ],
        Projection: projection.value(),
      },
      attributes: [{ name: sortName.value.trim(), type: sortType.value }],
    }),
  };
}

/** AttributeDefinitions for key attributes (each name once; a second type for a name is kept for the API to refuse). */
export function attributeDefinitions(keys) {
  const seen = new Set();
  const out = [];
  for (const k of keys) {
    const id = `${k.name}\u0000${k.type}`;
    if (!k.name || seen.has(id)) continue;
    seen.add(id);
    out.push({ AttributeName: k.name, AttributeType: k.type });
  }
  return out;
}

/** Polls DescribeTable until the table is ACTIVE (at most ~2 minutes). */
export async function waitActive(name, isStopped = () => false) {
  for (let i = 0; i < 240 && !isStopped(); i++) {
    const t = (await ddb('DescribeTable', { TableName: name })).Table;
    if (t.TableStatus === 'ACTIVE') return t;
    await sleep(500);
  }
  return null;
}

export function render(main, { navigate }) {
  let stopped = false;
  const error = errorBox();
  const tableName = h('input', { type: 'text', required: true, spellcheck: 'false', autocomplete: 'off', pattern: '[a-zA-Z0-9_.\\-]{3,255}' });
  const pkName = h('input', { type: 'text', required: true, spellcheck: 'false', autocomplete: 'off' });
  const pkType = select(ATTRIBUTE_TYPES);
  const skName = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off' });
  const skType = select(ATTRIBUTE_TYPES);
  const billingName = uid('billing');
  const onDemand = h('input', { type: 'radio', name: billingName, id: uid('r'), value: 'PAY_PER_REQUEST', checked: true });
  const provisioned = h('input', { type: 'radio', name: billingName, id: uid('r'), value: 'PROVISIONED' });
  const tableThroughput = throughputFields('Table ');
  const isProvisioned = () => provisioned.checked;
  const gsiList = h('div', { class: 'index-list' });
  const lsiList = h('div', { class: 'index-list' });
  const gsis = [];
  const lsis = [];
  const streamOn = h('input', { type: 'checkbox', id: uid('stream') });
  const streamType = select([['NEW_AND_OLD_IMAGES', 'New and old images'], ['NEW_IMAGE', 'New image'], ['OLD_IMAGE', 'Old image'], ['KEYS_ONLY', 'Keys only']]);
  const streamTypeField = field('Stream view type', streamType);
  const ttlName = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off' });
  const protection = h('input', { type: 'checkbox', id: uid('protect') });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create table');
  const progress = h('p', { class: 'progress-text', hidden: true });

  const syncBilling = () => {
    tableThroughput.wrap.hidden = !isProvisioned();
    gsis.forEach((g) => g.syncBilling());
  };
  onDemand.addEventListener('change', syncBilling);
  provisioned.addEventListener('change', syncBilling);
  const syncStream = () => {
    streamTypeField.wrap.hidden = !streamOn.checked;
  };
  streamOn.addEventListener('change', syncStream);

  const addGsi = h('button', { type: 'button' }, 'Add global secondary index');
  addGsi.addEventListener('click', () => {
    const g = gsiEditor(gsis.length + 1, isProvisioned, (el) => {
      const at = gsis.findIndex((x) => x.element === el);
      gsis.splice(at, 1);
      el.remove();
      addGsi.focus();
    });
    gsis.push(g);
    gsiList.append(g.element);
    g.name.focus();
  });
  const addLsi = h('button', { type: 'button' }, 'Add local secondary index');
  addLsi.addEventListener('click', () => {
    const l = lsiEditor(lsis.length + 1, (el) => {
      const at = lsis.findIndex((x) => x.element === el);
      lsis.splice(at, 1);
      el.remove();
      addLsi.focus();
    });
    lsis.push(l);
    lsiList.append(l.element);
    l.element.querySelector('input').focus();
  });

  const form = h(
    'form',
    { class: 'create-table card', novalidate: true },
    field('Table name', tableName, '3 to 255 characters: letters, digits, _ . -').wrap,
    h('fieldset', null, h('legend', null, 'Primary key'),
      h('div', { class: 'key-row' }, field('Partition key name', pkName).wrap, field('Partition key type', pkType).wrap),
      h('div', { class: 'key-row' }, field('Sort key name (optional)', skName).wrap, field('Sort key type', skType).wrap)),
    h('fieldset', null, h('legend', null, 'Capacity'),
      h('div', { class: 'radios' }, onDemand, h('label', { for: onDemand.id }, 'On demand (PAY_PER_REQUEST)'), provisioned, h('label', { for: provisioned.id }, 'Provisioned (PROVISIONED)')),
      tableThroughput.wrap),
    h('section', { 'aria-label': 'Global secondary indexes' }, h('h2', null, 'Global secondary indexes'), gsiList, addGsi),
    h('section', { 'aria-label': 'Local secondary indexes' }, h('h2', null, 'Local secondary indexes'), lsiList, addLsi),
    h('fieldset', null, h('legend', null, 'Stream, TTL and protection'),
      h('div', { class: 'check' }, streamOn, h('label', { for: streamOn.id }, 'Enable the stream')),
      streamTypeField.wrap,
      field('TTL attribute (optional)', ttlName, 'Items expire at the epoch second in this Number attribute.').wrap,
      h('div', { class: 'check' }, protection, h('label', { for: protection.id }, 'Deletion protection'))),
    error,
    progress,
    h('div', { class: 'buttons' }, submit, h('a', { href: '#/tables', class: 'button' }, 'Cancel')),
  );
  syncBilling();
  syncStream();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError(error, null);
    const name = tableName.value.trim();
    const hash = pkName.value.trim();
    if (!name || !hash) {
      showError(error, new Error('A table needs a name and a partition key.'));
      (name ? pkName : tableName).focus();
      return;
    }
    const keys = [{ name: hash, type: pkType.value }];
    const keySchema = [{ AttributeName: hash, KeyType: 'HASH' }];
    if (skName.value.trim()) {
      keys.push({ name: skName.value.trim(), type: skType.value });
      keySchema.push({ AttributeName: skName.value.trim(), KeyType: 'RANGE' });
    }
    const request = { TableName: name, KeySchema: keySchema, BillingMode: isProvisioned() ? 'PROVISIONED' : 'PAY_PER_REQUEST' };
    if (isProvisioned()) request.ProvisionedThroughput = tableThroughput.value();
    if (gsis.length) {
      request.GlobalSecondaryIndexes = gsis.map((g) => {
        const { index, attributes } = g.value();
        keys.push(...attributes);
        return index;
      });
    }
    if (lsis.length) {
      request.LocalSecondaryIndexes = lsis.map((l) => {
        const { index, attributes } = l.value(hash);
        keys.push(...attributes);
        return index;
      });
    }
    request.AttributeDefinitions = attributeDefinitions(keys);
    if (streamOn.checked) request.StreamSpecification = { StreamEnabled: true, StreamViewType: streamType.value };
    if (protection.checked) request.DeletionProtectionEnabled = true;
    const done = busyButton(submit);
    progress.hidden = false;
    progress.textContent = 'Creating the table…';
    try {
      await ddb('CreateTable', request);
    } catch (e) {
      showError(error, e);
      progress.hidden = true;
      done();
      return;
    }
    announce(`Creating table ${name}.`);
    const ttlAttribute = ttlName.value.trim();
    if (ttlAttribute) {
      // The table exists now: a failure here is about TTL only (creating again
      // would be refused), and the wait goes on if the view is left, so TTL is
      // still turned on as asked (it ends within two minutes).
      progress.textContent = 'Waiting for the table to be ACTIVE to turn on TTL…';
      try {
        if (!(await waitActive(name))) throw new Error('the table did not become ACTIVE within two minutes');
        await ddb('UpdateTimeToLive', { TableName: name, TimeToLiveSpecification: { Enabled: true, AttributeName: ttlAttribute } });
      } catch (e) {
        const why = e.code ? `${e.code}: ${e.message}` : e.message;
        showError(error, new Error(`Table ${name} was created, but TTL could not be turned on (${why}). Turn it on from the table's page.`));
        error.append(' ', h('a', { href: `#/table/${encodeURIComponent(name)}` }, `Open table ${name}`));
        progress.hidden = true;
        done();
        return;
      }
    }
    announce(`Table ${name} created.`);
    done();
    if (!stopped) navigate(`#/table/${encodeURIComponent(name)}`);
  });

  main.append(h('h1', null, 'Create a table'), form);
  return () => {
    stopped = true;
  };
}
