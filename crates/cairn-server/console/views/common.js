// Pieces shared by the views: the table picker, the paging stack, and the
// results table (semantic <table> with the attributes seen as columns).

import { h, select, field, scroller, uid } from '../dom.js';
import { allTableNames } from '../api.js';
import { columnsOf, displayValue, keyText, keyOf, keyId, own, itemToPlain, unplainPath } from '../ddb.js';
import { stringifyJson } from '../json.js';

/**
 * A <select> of every table; on change navigates to `#/${view}/NAME`.
 * Resolves the list asynchronously; returns {wrap, select, ready}.
 */
export function tablePicker(view, current, navigate, label = 'Table') {
  const el = select([['', 'Loading tables…']], { name: 'table' });
  const { wrap } = field(label, el, 'Enter opens the chosen table.');
  const ready = allTableNames().then(
    (names) => {
      el.textContent = '';
      el.append(h('option', { value: '' }, names.length ? 'Choose a table' : 'No tables yet'));
      for (const name of names) el.append(h('option', { value: name }, name));
      if (current) {
        if (!names.includes(current)) el.append(h('option', { value: current }, `${current} (not found)`));
        el.value = current;
      }
      return names;
    },
    (e) => {
      el.textContent = '';
      el.append(h('option', { value: '' }, `Could not list tables: ${e.message}`));
      return [];
    },
  );
  // A mouse choice opens the table at once; with the keyboard, arrows only move
  // the choice (Chrome fires change on each) and Enter opens it.
  let keyed = false;
  const open = () => {
    if (el.value && el.value !== current) navigate(`#/${view}/${encodeURIComponent(el.value)}`);
  };
  el.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      open();
    } else if (event.key !== 'Tab') {
      keyed = true;
    }
  });
  el.addEventListener('pointerdown', () => {
    keyed = false;
  });
  el.addEventListener('change', () => {
    if (!keyed) open();
  });
  return { wrap, select: el, ready };
}

/**
 * Paging through results with a stack of start keys (or tokens): page 1 starts
 * with nothing, each Next pushes the page's last evaluated key, Previous pops.
 * `load(start)` resolves to {items, next}; `show(result, pageNumber)` draws it.
 */
export class Pager {
  constructor(load, show, onError) {
    this.load = load;
    this.show = show;
    this.onError = onError;
    this.starts = [undefined];
    this.next = undefined;
    this.busy = false;
    this.prevButton = h('button', { type: 'button', onclick: () => this.previous() }, '← Previous');
    this.nextButton = h('button', { type: 'button', onclick: () => this.forward() }, 'Next →');
    this.label = h('span', { class: 'page-label', tabindex: '-1' }, '');
    this.element = h('div', { class: 'pager', role: 'group', 'aria-label': 'Pages' }, this.prevButton, this.label, this.nextButton);
    this.update();
  }

  update() {
    // While a page loads the buttons keep their state (a disabled button loses the
    // focus in Chrome, so Next pressed from the keyboard would drop it): they only
    // say they are unavailable, and forward() / previous() ignore them.
    for (const b of [this.prevButton, this.nextButton]) {
      if (this.busy) b.setAttribute('aria-disabled', 'true');
      else b.removeAttribute('aria-disabled');
    }
    if (!this.busy) {
      const focused = document.activeElement;
      this.prevButton.disabled = this.starts.length <= 1;
      this.nextButton.disabled = this.next === undefined;
      // On the first or last page the button just pressed is disabled: the focus
      // moves to the other one, or to the page number.
      if ((focused === this.prevButton || focused === this.nextButton) && focused.disabled) {
        const other = focused === this.prevButton ? this.nextButton : this.prevButton;
        (other.disabled ? this.label : other).focus();
      }
    }
    this.label.textContent = this.busy ? `Loading page ${this.starts.length}…` : `Page ${this.starts.length}`;
  }

  async run() {
    // A newer run (Run pressed again while a page loads) wins: an older answer
    // arriving late must not replace its page or its next key.
    this.runs = (this.runs || 0) + 1;
    const run = this.runs;
    this.busy = true;
    this.update();
    try {
      const result = await this.load(this.starts[this.starts.length - 1]);
      if (run !== this.runs) return;
      this.next = result.next || undefined;
      this.show(result, this.starts.length);
    } catch (e) {
      if (run !== this.runs) return;
      this.next = undefined;
      if (this.onError) this.onError(e);
    } finally {
      if (run === this.runs) {
        this.busy = false;
        this.update();
      }
    }
  }

  first() {
    this.starts = [undefined];
    this.next = undefined;
    return this.run();
  }

  forward() {
    if (this.next === undefined || this.busy) return undefined;
    this.starts.push(this.next);
    return this.run();
  }

  previous() {
    if (this.starts.length <= 1 || this.busy) return undefined;
    this.starts.pop();
    return this.run();
  }

  reload() {
    return this.run();
  }
}

/**
 * The results as a table: a checkbox per row (when `selection` is a Map to fill,
 * keyed by keyId: the whole key, not its shortened text), the key cell a button
 * opening the item (when `onOpen`), then one column per attribute seen, key
 * attributes first. Buttons and checkboxes carry data-focus, so a redraw can put
 * the focus back where it was.
 */
export function itemsTable({ items, keySchema = [], caption, selection, onOpen, onSelectionChange }) {
  const keyAttributes = keySchema.length ? [...keySchema.filter((k) => k.KeyType === 'HASH'), ...keySchema.filter((k) => k.KeyType === 'RANGE')].map((k) => k.AttributeName) : [];
  const columns = columnsOf(items, keyAttributes);
  const table = h('table', { class: 'items' });
  table.append(h('caption', null, caption));
  const headRow = h('tr');
  const boxes = [];
  let all = null;
  if (selection) {
    all = h('input', { type: 'checkbox', id: uid('all') });
    headRow.append(h('th', { scope: 'col', class: 'select' }, h('label', { for: all.id, class: 'visually-hidden' }, 'Select every item on this page'), all));
  }
  const firstIsKey = keyAttributes.length > 0 && columns[0] === keyAttributes[0];
  columns.forEach((c) => headRow.append(h('th', { scope: 'col' }, c, keyAttributes.includes(c) ? h('span', { class: 'key-mark' }, ' (key)') : null)));
  table.append(h('thead', null, headRow));
  const body = h('tbody');
  const syncAll = () => {
    if (!all) return;
    const checked = boxes.filter((b) => b.checked).length;
    all.checked = checked > 0 && checked === boxes.length;
    all.indeterminate = checked > 0 && checked < boxes.length;
  };
  for (const item of items) {
    const row = h('tr');
    const key = keyAttributes.length ? keyOf(item, keySchema) : item;
    const label = keyAttributes.length ? keyText(key, keyAttributes) : displayValue({ M: item }, 80);
    const id = keyAttributes.length ? keyId(key) : label;
    if (selection) {
      const box = h('input', { type: 'checkbox', id: uid('sel'), checked: selection.has(id), 'data-focus': `select ${id}` });
      box.addEventListener('change', () => {
        if (box.checked) selection.set(id, key);
        else selection.delete(id);
        row.classList.toggle('selected', box.checked);
        syncAll();
        if (onSelectionChange) onSelectionChange();
      });
      row.classList.toggle('selected', box.checked);
      boxes.push(box);
      row.append(h('td', { class: 'select' }, h('label', { for: box.id, class: 'visually-hidden' }, `Select item ${label}`), box));
    }
    columns.forEach((c, i) => {
      const av = own(item, c);
      const text = av === undefined ? '' : displayValue(av);
      if (i === 0 && firstIsKey) {
        const content = onOpen
          ? h('button', { type: 'button', class: 'link', onclick: () => onOpen(item), 'aria-label': `Open item ${label}`, 'data-focus': `open ${id}` }, text)
          : text;
        row.append(h('th', { scope: 'row' }, content));
      } else {
        const cell = h('td', av === undefined ? { class: 'absent' } : null, text);
        if (av !== undefined) cell.title = `${Object.keys(av)[0]}`;
        row.append(cell);
      }
    });
    body.append(row);
  }
  if (!items.length) {
    body.append(h('tr', null, h('td', { colspan: String(Math.max(1, columns.length + (selection ? 1 : 0))), class: 'empty' }, 'No items.')));
  }
  table.append(body);
  if (all) {
    all.addEventListener('change', () => {
      const target = all.checked;
      for (const box of boxes) {
        if (box.checked !== target) {
          box.checked = target;
          box.dispatchEvent(new Event('change'));
        }
      }
    });
    syncAll();
  }
  return scroller(caption, table);
}

/** Items as JSON text: DynamoDB JSON, or plain JSON when every item can be. */
export function itemsJson(items, plain) {
  if (plain && items.every((it) => !unplainPath(it))) {
    return stringifyJson(items.map(itemToPlain), 2);
  }
  return JSON.stringify(items, null, 2);
}

/** A "Table / JSON" switch over results: returns {element, show(items, ...)}. */
export function resultsPanel(renderTable) {
  const name = uid('view');
  const tableRadio = h('input', { type: 'radio', name, id: uid('r'), value: 'table', checked: true });
  const jsonRadio = h('input', { type: 'radio', name, id: uid('r'), value: 'json' });
  const plainBox = h('input', { type: 'checkbox', id: uid('plain'), checked: true });
  const plainField = h('span', { class: 'inline' }, plainBox, h('label', { for: plainBox.id }, 'Plain JSON where possible'));
  const switcher = h(
    'fieldset',
    { class: 'switch' },
    h('legend', null, 'Show results as'),
    tableRadio,
    h('label', { for: tableRadio.id }, 'Table'),
    jsonRadio,
    h('label', { for: jsonRadio.id }, 'JSON'),
    plainField,
  );
  const out = h('div', { class: 'results' });
  let last = [];
  const draw = () => {
    // Keep the focus on the same row's control (or on the results) when the
    // results are drawn again, e.g. after the item editor saved and closed.
    const active = document.activeElement;
    const had = active && active !== document.body && out.contains(active);
    const focusKey = had ? active.getAttribute('data-focus') : null;
    out.textContent = '';
    plainField.hidden = !jsonRadio.checked;
    if (jsonRadio.checked) {
      out.append(h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Results as JSON' }, itemsJson(last, plainBox.checked)));
    } else {
      out.append(renderTable(last));
    }
    if (had) {
      const again = focusKey && [...out.querySelectorAll('[data-focus]')].find((el) => el.getAttribute('data-focus') === focusKey);
      (again || out.querySelector('[tabindex="0"]') || out.firstChild).focus();
    }
  };
  for (const el of [tableRadio, jsonRadio, plainBox]) el.addEventListener('change', draw);
  return {
    element: h('div', null, switcher, out),
    show(items) {
      last = items;
      draw();
    },
  };
}
