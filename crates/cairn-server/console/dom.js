// Building the page safely: every value reaches the document as text
// (createElement / textContent), never as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';
let counter = 0;
let announceTimer = null;

/** A new unique id for tying labels to inputs. */
export function uid(prefix = 'c') {
  counter += 1;
  return `${prefix}-${counter}`;
}

function apply(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (name === 'style') {
      throw new Error('style attributes are refused by the CSP: use a class');
    } else if (name === 'value' || name === 'checked' || name === 'disabled' || name === 'selected' || name === 'indeterminate') {
      el[name] = value;
    } else if (name === 'for') {
      el.htmlFor = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h('button', {type: 'button', onclick: fn}, 'Text'). Strings become text nodes. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/** Removes every child of an element. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

/** Says something in the page's polite live region (and shows it in the status bar). */
export function announce(message) {
  const region = document.getElementById('status');
  if (!region) return;
  region.textContent = '';
  window.clearTimeout(announceTimer);
  // A fresh text node, so the same message twice is read twice; the visible copy
  // goes away after a while.
  announceTimer = window.setTimeout(() => {
    region.textContent = message;
    announceTimer = window.setTimeout(() => {
      region.textContent = '';
    }, 8000);
  }, 30);
}

/** An error box (role=alert) holding a message, or an empty one to fill later. */
export function errorBox(message) {
  const box = h('div', { class: 'error', role: 'alert' });
  if (message) box.textContent = message;
  else box.hidden = true;
  return box;
}

/** Shows an error (or clears it with a falsy value) in a box made by errorBox. */
export function showError(box, error) {
  if (!error) {
    box.textContent = '';
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.textContent = error.code ? `${error.code}: ${error.message}` : String(error.message || error);
}

/** A label and control pair: returns {wrap, input}. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = uid('f');
  const hintEl = hint ? h('span', { class: 'hint', id: uid('hint') }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  const wrap = h('div', { class: 'field' }, h('label', { for: control.id }, labelText), control, hintEl);
  return { wrap, input: control };
}

/** A <select> with options given as values or [value, label] pairs. */
export function select(options, attrs = {}) {
  const el = h('select', attrs);
  for (const option of options) {
    const [value, label] = Array.isArray(option) ? option : [option, option];
    el.append(h('option', { value }, label));
  }
  if (attrs.value !== undefined) el.value = attrs.value;
  return el;
}

/** A table wrapper that scrolls sideways on narrow screens and can be scrolled by keyboard. */
export function scroller(label, table) {
  return h('div', { class: 'table-scroll', role: 'region', 'aria-label': label, tabindex: '0' }, table);
}

/** Byte counts as text (1 KB = 1024 bytes). */
export function formatBytes(n) {
  if (n === undefined || n === null) return '—';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = Number(n);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatCount(n) {
  return n === undefined || n === null ? '—' : Number(n).toLocaleString('en-US');
}

/**
 * A modal dialog asking to confirm an action. Resolves true when confirmed.
 * `danger` styles the confirm button as destructive.
 */
export function confirmDialog({ title, message, confirmLabel = 'OK', danger = false }) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const confirm = h('button', { type: 'submit', value: 'yes', class: danger ? 'danger' : 'primary' }, confirmLabel);
    const cancel = h('button', { type: 'submit', value: 'no' }, 'Cancel');
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': titleId },
      h('form', { method: 'dialog' }, h('h2', { id: titleId }, title), h('p', null, message), h('div', { class: 'buttons' }, confirm, cancel)),
    );
    document.body.append(dialog);
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'yes');
    });
    dialog.showModal();
    cancel.focus();
  });
}

/** Offers data as a file download (a Blob and a temporary a[download]). */
export function download(filename, parts, type) {
  const blob = new Blob(parts, { type });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, class: 'visually-hidden' }, filename);
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/**
 * Disables a button while it works. Chrome moves the focus of a button that is
 * disabled to the page itself, so a keyboard user would have to find their place
 * again: the function returned enables the button and, if it had the focus and the
 * focus went nowhere else meanwhile, gives it back.
 */
export function busyButton(button) {
  const had = document.activeElement === button;
  button.disabled = true;
  return () => {
    button.disabled = false;
    const now = document.activeElement;
    if (had && button.isConnected && (!now || now === document.body)) button.focus();
  };
}

/** Waits ms milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}
