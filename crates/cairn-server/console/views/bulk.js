// Bulk actions on the selected items: delete (BatchWriteItem, 25 a call,
// UnprocessedItems retried) and edit (one UpdateItem per item: SET or REMOVE).

import { h, errorBox, showError, uid, field, select, announce, confirmDialog } from '../dom.js';
import { ddb, batchWrite } from '../api.js';
import { parseJson } from '../json.js';
import { fromPlain, typedValue, checkItemShape } from '../ddb.js';

function progressDialog(titleText) {
  const titleId = uid('bulk');
  const bar = h('progress', { max: '1', value: '0', id: uid('p') });
  const text = h('p', { 'aria-live': 'polite' }, '');
  const error = errorBox();
  const closeButton = h('button', { type: 'submit', disabled: true }, 'Close');
  const dialog = h('dialog', { class: 'progress-dialog', 'aria-labelledby': titleId },
    h('form', { method: 'dialog' }, h('h2', { id: titleId }, titleText), h('label', { for: bar.id }, 'Progress'), bar, text, error, h('div', { class: 'buttons' }, closeButton)));
  document.body.append(dialog);
  dialog.addEventListener('cancel', (e) => {
    if (closeButton.disabled) e.preventDefault();
  });
  dialog.showModal();
  return {
    dialog,
    set(done, total, what) {
      bar.max = Math.max(1, total);
      bar.value = done;
      text.textContent = `${done} of ${total} ${what}`;
    },
    fail(e) {
      showError(error, e);
    },
    finish() {
      closeButton.disabled = false;
      // Chrome lets a second Esc close a dialog whose cancel event was refused:
      // it may be closed already, and its close event gone.
      if (!dialog.open) {
        dialog.remove();
        return Promise.resolve();
      }
      closeButton.focus();
      return new Promise((resolve) => dialog.addEventListener('close', () => {
        dialog.remove();
        resolve();
      }));
    },
  };
}

/** Deletes the items with these keys after confirming. Resolves to the number deleted. */
export async function bulkDelete(table, keys) {
  const ok = await confirmDialog({
    title: `Delete ${keys.length} item${keys.length === 1 ? '' : 's'}?`,
    message: `The selected items are deleted from ${table}. This cannot be undone.`,
    confirmLabel: 'Delete items',
    danger: true,
  });
  if (!ok) return 0;
  const p = progressDialog(`Deleting from ${table}`);
  p.set(0, keys.length, 'deleted');
  let done = 0;
  try {
    done = await batchWrite(table, keys.map((Key) => ({ DeleteRequest: { Key } })), (n) => {
      done = n;
      p.set(n, keys.length, 'deleted');
    });
    announce(`Deleted ${done} items.`);
  } catch (e) {
    p.fail(e);
  }
  await p.finish();
  return done;
}

/** Asks for a SET or REMOVE and applies it with UpdateItem to each item. Resolves to the count updated. */
export function bulkEdit(table, keys, keySchema) {
  return new Promise((resolve) => {
    const titleId = uid('edit');
    const action = select([['SET', 'SET attribute = value'], ['REMOVE', 'REMOVE attribute']]);
    const attr = h('input', { type: 'text', required: true, spellcheck: 'false', autocomplete: 'off' });
    const type = select([['S', 'String (S)'], ['N', 'Number (N)'], ['BOOL', 'Boolean (BOOL)'], ['NULL', 'Null (NULL)'], ['JSON', 'JSON (plain JSON, or a DynamoDB JSON value)']]);
    const value = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off' });
    const valueFields = h('div', { class: 'row' }, field('Value type', type).wrap, field('Value', value).wrap);
    const error = errorBox();
    const apply = h('button', { type: 'submit', class: 'primary' }, `Apply to ${keys.length} item${keys.length === 1 ? '' : 's'}`);
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const form = h('form', { method: 'dialog', novalidate: true },
      h('h2', { id: titleId }, `Edit ${keys.length} selected item${keys.length === 1 ? '' : 's'}`),
      h('p', { class: 'hint' }, 'Each item gets one UpdateItem, on the condition that it still exists. Key attributes cannot be changed.'),
      field('Action', action).wrap, field('Attribute name', attr, 'A top-level attribute.').wrap, valueFields, error,
      h('div', { class: 'buttons' }, apply, cancel));
    const dialog = h('dialog', { class: 'bulk-edit', 'aria-labelledby': titleId }, form);
    document.body.append(dialog);
    action.addEventListener('change', () => {
      valueFields.hidden = action.value === 'REMOVE';
    });
    let result = 0;
    let applying = false;
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (!applying) resolve(0);
    });
    cancel.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      showError(error, null);
      const name = attr.value.trim();
      if (!name) {
        showError(error, new Error('Enter the attribute to change.'));
        attr.focus();
        return;
      }
      const hashName = keySchema.find((k) => k.KeyType === 'HASH').AttributeName;
      const request = {
        TableName: table,
        ConditionExpression: 'attribute_exists(#key)',
        ExpressionAttributeNames: { '#a': name, '#key': hashName },
      };
      if (action.value === 'SET') {
        let av;
        try {
          if (type.value === 'JSON') {
            const parsed = parseJson(value.value);
            const asDdb = parsed && typeof parsed === 'object' && !Array.isArray(parsed) && checkItemShape({ v: parsed }).length === 0;
            av = asDdb ? parsed : fromPlain(parsed);
          } else {
            av = typedValue(type.value, value.value);
          }
        } catch (e) {
          showError(error, e);
          value.focus();
          return;
        }
        request.UpdateExpression = 'SET #a = :v';
        request.ExpressionAttributeValues = { ':v': av };
      } else {
        request.UpdateExpression = 'REMOVE #a';
      }
      applying = true;
      dialog.close();
      const p = progressDialog(`Updating ${table}`);
      p.set(0, keys.length, 'updated');
      const failures = [];
      for (const Key of keys) {
        try {
          await ddb('UpdateItem', { ...request, Key });
          result++;
        } catch (e) {
          failures.push(e);
          // The same refusal for every item (e.g. a key attribute): stop at the first.
          if (e.code !== 'ConditionalCheckFailedException') break;
        }
        p.set(result, keys.length, 'updated');
      }
      if (failures.length) {
        const first = failures[0];
        const gone = failures.filter((f) => f.code === 'ConditionalCheckFailedException').length;
        p.fail(gone === failures.length ? new Error(`${gone} item${gone === 1 ? ' no longer exists' : 's no longer exist'}; not recreated.`) : first);
      }
      announce(`Updated ${result} items.`);
      await p.finish();
      resolve(result);
    });
    dialog.showModal();
    action.focus();
  });
}
