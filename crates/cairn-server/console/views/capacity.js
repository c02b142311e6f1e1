// Capacity and cost: per-table charts of the last two minutes (requests, latency,
// consumed units) drawn as SVG and refreshed every 2 s from
// /_cairn/console/stats, and the cost report of /_cairn/cost.

import { h, s, errorBox, showError, field, select, scroller, formatCount, busyButton } from '../dom.js';
import { cairnGet, region } from '../api.js';
import { tablePicker } from './common.js';

const NOT_AVAILABLE = 'Not available on a server that verifies signatures (use --metrics-addr for Prometheus)';

function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function formatValue(v, unit) {
  const digits = v !== 0 && Math.abs(v) < 10 ? 2 : v < 100 ? 1 : 0;
  return `${Number(v).toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

/**
 * An SVG line chart of `seconds` for some series ({key, label}), with a text
 * legend giving each series' latest value (line styles differ too, not only colour).
 */
export function lineChart({ title, unit, seconds, series }) {
  const width = 600;
  const height = 180;
  const left = 52;
  const right = 10;
  const top = 10;
  const bottom = 26;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = niceMax(Math.max(0, ...seconds.flatMap((p) => series.map((x) => Number(p[x.key]) || 0))));
  const n = Math.max(1, seconds.length - 1);
  const x = (i) => left + (plotW * i) / n;
  const y = (v) => top + plotH - (plotH * v) / max;
  const id = `chart-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  const latest = seconds[seconds.length - 1] || {};
  const summary = series.map((x2) => `${x2.label} ${formatValue(Number(latest[x2.key]) || 0, unit)}`).join(', ');
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, preserveAspectRatio: 'none' },
    s('title', { id: `${id}-t` }, title),
    s('desc', { id: `${id}-d` }, `Last ${seconds.length} seconds; now: ${summary}.`));
  for (const fraction of [0, 0.5, 1]) {
    const yy = y(max * fraction);
    svg.append(s('line', { x1: left, x2: width - right, y1: yy, y2: yy, class: 'grid' }));
    svg.append(s('text', { x: left - 6, y: yy + 4, class: 'axis-label', 'text-anchor': 'end' }, formatValue(max * fraction, '')));
  }
  svg.append(s('text', { x: left, y: height - 6, class: 'axis-label' }, `−${Math.max(0, seconds.length - 1)} s`));
  svg.append(s('text', { x: width - right, y: height - 6, class: 'axis-label', 'text-anchor': 'end' }, 'now'));
  series.forEach((x2, i) => {
    const points = seconds.map((p, j) => `${x(j).toFixed(1)},${y(Number(p[x2.key]) || 0).toFixed(1)}`).join(' ');
    svg.append(s('polyline', { points, class: `series series-${i}`, fill: 'none' }));
  });
  const legend = h('ul', { class: 'legend' }, series.map((x2, i) =>
    h('li', null, h('span', { class: `swatch series-${i}`, 'aria-hidden': 'true' }), `${x2.label}: ${formatValue(Number(latest[x2.key]) || 0, unit)}`)));
  return h('figure', { class: 'chart-box', 'data-chart': id }, h('figcaption', null, `${title}${unit ? ` (${unit})` : ''}`), svg, legend);
}

function statsTable(seconds) {
  const rows = seconds.slice(-10).reverse();
  const cols = [['t', 'Second'], ['requests', 'Requests'], ['errors', 'Errors'], ['throttled', 'Throttled'], ['p50Ms', 'p50 ms'], ['p99Ms', 'p99 ms'], ['readUnits', 'Read units'], ['writeUnits', 'Write units']];
  return scroller('The last 10 seconds', h('table', null, h('caption', null, 'The last 10 seconds'),
    h('thead', null, h('tr', null, cols.map(([, l]) => h('th', { scope: 'col' }, l)))),
    h('tbody', null, rows.map((r) => h('tr', null, cols.map(([k], i) => (i === 0
      ? h('th', { scope: 'row' }, new Date(r.t * 1000).toISOString().slice(11, 19))
      : h('td', { class: 'num' }, formatValue(Number(r[k]) || 0, '')))))))));
}

function money(v) {
  const n = Number(v) || 0;
  return `$${n < 0.01 && n > 0 ? n.toFixed(6) : n.toFixed(n < 100 ? 4 : 2)}`;
}

function costReport(json, tableName) {
  const out = h('div', { class: 'cost' });
  out.append(h('p', null, `Over the last ${(json.hours || 0).toFixed(2)} h (prices of ${json.priceSheet ? json.priceSheet.region : 'us-east-1'}): ${money(json.totalOnDemandCost)} on demand, ${money(json.totalProvisionedCost)} provisioned (storage included).`));
  const tables = json.tables || [];
  if (!tables.length) {
    out.append(h('p', null, 'No requests recorded in this period.'));
  } else {
    const cols = ['Table', 'Billing', 'Requests', 'Read units', 'Write units', 'On demand', 'Provisioned', 'Storage', 'Month (on demand)', 'Month (provisioned)'];
    out.append(scroller('Cost by table', h('table', { class: 'cost-table' }, h('caption', null, 'Cost by table'),
      h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, tables.map((t) => h('tr', { class: t.table === tableName ? 'current' : null },
        h('th', { scope: 'row' }, t.table), h('td', null, t.billingMode || '—'), h('td', { class: 'num' }, formatCount(t.requests)),
        h('td', { class: 'num' }, formatValue(t.readUnits || 0, '')), h('td', { class: 'num' }, formatValue(t.writeUnits || 0, '')),
        h('td', { class: 'num' }, money(t.onDemandCost)), h('td', { class: 'num' }, money(t.provisionedCost)), h('td', { class: 'num' }, money(t.storageCost)),
        h('td', { class: 'num' }, money(t.projectedMonthlyOnDemand)), h('td', { class: 'num' }, money(t.projectedMonthlyProvisioned))))))));
    const mine = tables.find((t) => t.table === tableName);
    if (mine && mine.operations && mine.operations.length) {
      out.append(scroller(`Operations on ${tableName}`, h('table', null, h('caption', null, `Operations on ${tableName}`),
        h('thead', null, h('tr', null, ['Operation', 'Requests', 'Read units', 'Write units', 'On demand'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, mine.operations.map((o) => h('tr', null, h('th', { scope: 'row' }, o.operation), h('td', { class: 'num' }, formatCount(o.requests)),
          h('td', { class: 'num' }, formatValue(o.readUnits || 0, '')), h('td', { class: 'num' }, formatValue(o.writeUnits || 0, '')), h('td', { class: 'num' }, money(o.onDemandCost))))))));
    }
  }
  const amp = json.scanAmplification || [];
  out.append(h('h3', null, 'Scan amplification'));
  if (!amp.length) {
    out.append(h('p', null, 'No Query or Scan read ten times more items than it returned.'));
  } else {
    out.append(h('ul', { class: 'warnings' }, amp.map((a) => h('li', { class: 'warning' },
      h('strong', null, 'Warning: '), `${a.shape}: ${formatCount(a.requests)} request${a.requests === 1 ? '' : 's'} read ${formatCount(a.itemsRead)} items to return ${formatCount(a.itemsReturned)} (${formatValue(a.ratio || 0, '')}×), ${formatValue(a.readUnits || 0, '')} read units, ${money(a.onDemandCost)}.`))));
  }
  return out;
}

export function render(main, { param: tableName, navigate }) {
  let stopped = false;
  let timer = null;
  const picker = tablePicker('capacity', tableName, navigate);
  main.append(h('div', { class: 'view-head' }, h('h1', null, tableName ? `Capacity & cost · ${tableName}` : 'Capacity & cost'), picker.wrap));
  const chartsError = errorBox();
  const charts = h('div', { class: 'charts' });
  const numbers = h('div');
  const numbersBox = h('details', { class: 'chart-data', hidden: true }, h('summary', null, 'The numbers'), numbers);
  const chartState = h('p', { class: 'hint' });
  const costError = errorBox();
  const costArea = h('div', null, h('p', { class: 'loading' }, 'Loading…'));
  const since = select([['15m', 'Last 15 minutes'], ['1h', 'Last hour'], ['24h', 'Last 24 hours'], ['168h', 'Last week']], { value: '1h' });
  const refreshCost = h('button', { type: 'button' }, 'Refresh');
  main.append(
    h('section', { 'aria-labelledby': 'charts-h' }, h('h2', { id: 'charts-h' }, 'Requests, latency and capacity'), chartState, chartsError, charts, numbersBox),
    h('section', { 'aria-labelledby': 'cost-h' }, h('h2', { id: 'cost-h' }, 'Estimated cost'),
      h('div', { class: 'toolbar' }, field('Period', since).wrap, refreshCost), costError, costArea),
  );

  async function loadStats() {
    try {
      const { status, json } = await cairnGet(`/_cairn/console/stats?table=${encodeURIComponent(tableName)}&region=${encodeURIComponent(region())}`);
      if (stopped) return;
      if (status === 404) {
        charts.textContent = '';
        chartState.textContent = NOT_AVAILABLE;
        return;
      }
      const seconds = json.seconds || [];
      showError(chartsError, null);
      chartState.textContent = 'The last two minutes, refreshed every 2 seconds.';
      charts.textContent = '';
      charts.append(
        lineChart({ title: 'Requests per second', unit: '', seconds, series: [{ key: 'requests', label: 'Requests' }, { key: 'errors', label: 'Errors' }, { key: 'throttled', label: 'Throttled' }] }),
        lineChart({ title: 'Latency', unit: 'ms', seconds, series: [{ key: 'p50Ms', label: 'p50' }, { key: 'p99Ms', label: 'p99' }] }),
        lineChart({ title: 'Consumed capacity', unit: 'units/s', seconds, series: [{ key: 'readUnits', label: 'Read' }, { key: 'writeUnits', label: 'Write' }] }),
      );
      numbersBox.hidden = false;
      // Redrawn every 2 s: a keyboard user scrolling the table keeps the focus.
      const hadFocus = numbers.contains(document.activeElement);
      numbers.textContent = '';
      numbers.append(statsTable(seconds));
      if (hadFocus) numbers.firstChild.focus();
      timer = window.setTimeout(loadStats, 2000);
    } catch (e) {
      if (stopped) return;
      showError(chartsError, e);
      timer = window.setTimeout(loadStats, 2000);
    }
  }

  async function loadCost() {
    showError(costError, null);
    const done = busyButton(refreshCost);
    try {
      const { status, json } = await cairnGet(`/_cairn/cost?since=${encodeURIComponent(since.value)}`);
      if (stopped) return;
      costArea.textContent = '';
      costArea.append(status === 404 ? h('p', { class: 'not-available' }, NOT_AVAILABLE) : costReport(json, tableName));
    } catch (e) {
      showError(costError, e);
    } finally {
      done();
    }
  }

  if (tableName) loadStats();
  else chartState.textContent = 'Choose a table to chart its requests.';
  loadCost();
  refreshCost.addEventListener('click', loadCost);
  since.addEventListener('change', loadCost);
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}
