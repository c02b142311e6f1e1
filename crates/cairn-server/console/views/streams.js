// A live view of a table's stream: DescribeStream for the shards, an iterator per
// shard (LATEST, or TRIM_HORIZON from the beginning), GetRecords about once a
// second following NextShardIterator, new shards found by describing again.
// Each record shows its keys and images with the differences marked.

import { h, errorBox, showError, uid, announce, scroller, busyButton } from '../dom.js';
import { ddb, streams } from '../api.js';
import { diffImages, displayValue, keyText, keyNames } from '../ddb.js';
import { tablePicker } from './common.js';

const MAX_SHOWN = 200;
const MARKERS = { added: '+ added', removed: '− removed', changed: '~ changed', same: 'unchanged' };

async function describeShards(arn) {
  const shards = [];
  let start;
  let description;
  do {
    const request = { StreamArn: arn };
    if (start) request.ExclusiveStartShardId = start;
    description = (await streams('DescribeStream', request)).StreamDescription;
    shards.push(...(description.Shards || []));
    start = description.LastEvaluatedShardId;
  } while (start);
  return { shards, description };
}

/** Parents before children, so records come in the order they were written. */
function parentFirst(shards) {
  const ids = new Set(shards.map((s) => s.ShardId));
  const out = [];
  const placed = new Set();
  const place = (shard) => {
    if (placed.has(shard.ShardId)) return;
    placed.add(shard.ShardId);
    const parent = shard.ParentShardId && ids.has(shard.ParentShardId) ? shards.find((s) => s.ShardId === shard.ParentShardId) : null;
    if (parent) place(parent);
    out.push(shard);
  };
  shards.forEach(place);
  return out;
}

/** The element for one stream record. */
export function recordView(record, keyAttributes) {
  const d = record.dynamodb || {};
  const keys = d.Keys || {};
  const when = d.ApproximateCreationDateTime ? new Date(d.ApproximateCreationDateTime * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '';
  const article = h('article', { class: `record record-${(record.eventName || '').toLowerCase()}`, 'data-event': record.eventName },
    h('h3', null, h('span', { class: 'event-name' }, record.eventName), ' ', keyText(keys, keyAttributes)),
    h('p', { class: 'meta' }, `${when} · sequence ${d.SequenceNumber} · ${d.StreamViewType || ''}${record.userIdentity ? ' · by TTL' : ''}`));
  if (!d.OldImage && !d.NewImage) {
    article.append(h('p', null, 'Keys only (the stream view type has no images).'));
    return article;
  }
  const rows = diffImages(d.OldImage, d.NewImage, keyAttributes);
  const tbody = h('tbody');
  for (const r of rows) {
    tbody.append(h('tr', { class: `diff-${r.kind}` },
      h('th', { scope: 'row' }, r.name),
      h('td', { class: 'marker' }, MARKERS[r.kind]),
      h('td', { class: 'old' }, r.before === undefined ? '' : displayValue(r.before)),
      h('td', { class: 'new' }, r.after === undefined ? '' : displayValue(r.after))));
  }
  const caption = `${record.eventName} of ${keyText(keys, keyAttributes)}: ${rows.filter((r) => r.kind !== 'same').length} attribute(s) differ`;
  article.append(scroller(caption, h('table', { class: 'diff' }, h('caption', { class: 'visually-hidden' }, caption),
    h('thead', null, h('tr', null, ['Attribute', 'Change', 'Old image', 'New image'].map((x) => h('th', { scope: 'col' }, x)))), tbody)));
  return article;
}

export function render(main, { param: tableName, navigate }) {
  const picker = tablePicker('streams', tableName, navigate);
  main.append(h('div', { class: 'view-head' }, h('h1', null, tableName ? `Stream of ${tableName}` : 'Streams'), picker.wrap));
  if (!tableName) {
    main.append(h('p', null, 'Choose a table with a stream to watch its changes.'));
    return undefined;
  }
  let stopped = false;
  let running = false;
  let timer = null;
  let ticks = 0;
  let iterators = new Map();
  // How each shard was first read (LATEST or TRIM_HORIZON), for renewing an
  // expired iterator before any record of it was read.
  let startTypes = new Map();
  let lastSequence = new Map();
  // Each Start begins a new generation; a poll of an older one (still waiting for
  // GetRecords when Stop and Start were pressed) ends instead of polling on.
  let generation = 0;
  let known = new Set();
  let arn = null;
  let keyAttributes = [];
  let total = 0;

  const error = errorBox();
  const positionName = uid('pos');
  const latest = h('input', { type: 'radio', name: positionName, id: uid('r'), value: 'LATEST', checked: true });
  const beginning = h('input', { type: 'radio', name: positionName, id: uid('r'), value: 'TRIM_HORIZON' });
  const toggle = h('button', { type: 'button', class: 'primary' }, 'Start');
  const clearButton = h('button', { type: 'button' }, 'Clear');
  // The records are announced by a one-line summary (announce); the log itself
  // is not live, or each record's whole table of attributes would be read out,
  // and the state line (redrawn each second) is not either.
  const state = h('p', { class: 'stream-state' }, 'Not watching.');
  const list = h('div', { class: 'records', role: 'log', 'aria-live': 'off', 'aria-label': 'Stream records, newest first' });
  const controls = h('div', { class: 'card stream-controls' },
    h('fieldset', { class: 'switch' }, h('legend', null, 'Start from'),
      latest, h('label', { for: latest.id }, 'New records (LATEST)'),
      beginning, h('label', { for: beginning.id }, 'The beginning (TRIM_HORIZON)')),
    h('div', { class: 'buttons' }, toggle, clearButton),
    state);
  main.append(error, controls, h('h2', null, 'Records'), list);

  const setState = (text) => {
    state.textContent = text;
  };

  async function iteratorFor(shardId, type, sequence) {
    const request = { StreamArn: arn, ShardId: shardId, ShardIteratorType: type };
    if (sequence) request.SequenceNumber = sequence;
    return (await streams('GetShardIterator', request)).ShardIterator;
  }

  function show(all) {
    // Only the newest MAX_SHOWN can stay on the page: do not build the others.
    const records = all.slice(-MAX_SHOWN);
    for (const record of records) {
      list.prepend(recordView(record, keyAttributes));
      total++;
    }
    while (list.childNodes.length > MAX_SHOWN) list.lastChild.remove();
    total += all.length - records.length;
    if (records.length) {
      const last = records[records.length - 1];
      announce(`${all.length} new record${all.length === 1 ? '' : 's'}: latest ${last.eventName} ${keyText((last.dynamodb || {}).Keys || {})}.`);
    }
  }

  async function discover(initialType, mine) {
    const { shards } = await describeShards(arn);
    if (mine !== generation) return;
    const fresh = parentFirst(shards.filter((s) => !known.has(s.ShardId)));
    for (const shard of fresh) {
      const open = !(shard.SequenceNumberRange && shard.SequenceNumberRange.EndingSequenceNumber);
      // At the start: LATEST reads the open shards; TRIM_HORIZON every shard. A shard
      // found later is new, so it is read from its beginning.
      if (initialType === 'LATEST' && !open) {
        known.add(shard.ShardId);
        continue;
      }
      const type = initialType || 'TRIM_HORIZON';
      const iterator = await iteratorFor(shard.ShardId, type);
      if (mine !== generation) return;
      known.add(shard.ShardId);
      startTypes.set(shard.ShardId, type);
      iterators.set(shard.ShardId, iterator);
    }
  }

  async function tick(mine) {
    const current = () => running && !stopped && mine === generation;
    if (!current()) return;
    try {
      let closed = false;
      for (const [shardId, iterator] of [...iterators]) {
        let out;
        try {
          out = await streams('GetRecords', { ShardIterator: iterator, Limit: 1000 });
        } catch (e) {
          if (e.code === 'ExpiredIteratorException') {
            const seq = lastSequence.get(shardId);
            const renewed = await iteratorFor(shardId, seq ? 'AFTER_SEQUENCE_NUMBER' : startTypes.get(shardId) || 'TRIM_HORIZON', seq);
            if (!current()) return;
            iterators.set(shardId, renewed);
            continue;
          }
          if (e.code === 'TrimmedDataAccessException') {
            const renewed = await iteratorFor(shardId, 'TRIM_HORIZON');
            if (!current()) return;
            iterators.set(shardId, renewed);
            continue;
          }
          throw e;
        }
        if (!current()) return;
        const records = out.Records || [];
        if (records.length) lastSequence.set(shardId, records[records.length - 1].dynamodb.SequenceNumber);
        show(records);
        if (out.NextShardIterator) iterators.set(shardId, out.NextShardIterator);
        else {
          iterators.delete(shardId);
          closed = true;
        }
      }
      ticks++;
      if (closed || ticks % 5 === 0) await discover(null, mine);
      if (!current()) return;
      showError(error, null);
      setState(`Watching ${iterators.size} shard${iterators.size === 1 ? '' : 's'} · ${total} record${total === 1 ? '' : 's'} seen · polling every second.`);
    } catch (e) {
      if (!current()) return;
      showError(error, e);
    }
    if (current()) timer = window.setTimeout(() => tick(mine), 1000);
  }

  async function start() {
    showError(error, null);
    const done = busyButton(toggle);
    try {
      const table = (await ddb('DescribeTable', { TableName: tableName })).Table;
      keyAttributes = keyNames(table.KeySchema);
      if (!table.LatestStreamArn || !(table.StreamSpecification && table.StreamSpecification.StreamEnabled)) {
        showError(error, new Error(`Table ${tableName} has no stream. Turn it on in the table's settings.`));
        error.append(' ', h('a', { href: `#/table/${encodeURIComponent(tableName)}` }, 'Open the table settings'));
        return;
      }
      arn = table.LatestStreamArn;
      iterators = new Map();
      startTypes = new Map();
      lastSequence = new Map();
      known = new Set();
      ticks = 0;
      generation++;
      await discover(beginning.checked ? 'TRIM_HORIZON' : 'LATEST', generation);
      running = true;
      toggle.textContent = 'Stop';
      latest.disabled = beginning.disabled = true;
      setState(`Watching ${iterators.size} shard${iterators.size === 1 ? '' : 's'} from ${beginning.checked ? 'the beginning' : 'now on'}.`);
      announce('Watching the stream.');
      tick(generation);
    } catch (e) {
      showError(error, e);
    } finally {
      done();
    }
  }

  function stop() {
    running = false;
    generation++;
    window.clearTimeout(timer);
    toggle.textContent = 'Start';
    latest.disabled = beginning.disabled = false;
    setState(`Stopped · ${total} record${total === 1 ? '' : 's'} seen.`);
    announce(state.textContent);
  }

  toggle.addEventListener('click', () => (running ? stop() : start()));
  clearButton.addEventListener('click', () => {
    list.textContent = '';
    total = 0;
    announce('Records cleared.');
  });
  // Watching starts when the view opens.
  start();
  return () => {
    stopped = true;
    running = false;
    window.clearTimeout(timer);
  };
}
