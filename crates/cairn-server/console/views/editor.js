// The item editor: a modal dialog with the item as plain JSON or DynamoDB JSON
// (converted both ways), parse errors with their position, the API's own
// validation messages, and save / duplicate / delete.

import { h, errorBox, showError, uid, announce, confirmDialog, busyButton } from '../dom.js';
import { ddb } from '../api.js';
import { parseJson, stringifyJson, JsonParseError } from '../json.js';
import { itemToPlain, plainToItem, checkItemShape, unplainPath, keyOf, avEqual, keyText, keyNames, keysFirst } from '../ddb.js';

const MODE_KEY = 'cairn.console.editorMode';

/**
 * Opens the editor. mode: 'edit' (an existing item), 'create' or 'duplicate'.
 * onSaved() runs after a save or delete. Resolves when the dialog closes.
 */
export function openEditor({ table, keySchema, item, mode, onSaved }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = uid('editor');
    const title = { edit: 'Edit item', create: 'New item', duplicate: 'Duplicate item' }[mode];
    const modeName = uid('fmt');
    const plainRadio = h('input', { type: 'radio', name: modeName, id: uid('r'), value: 'plain' });
    const ddbRadio = h('input', { type: 'radio', name: modeName, id: uid('r'), value: 'ddb' });
    const textarea = h('textarea', { id: uid('json'), rows: '18', spellcheck: 'false', autocomplete: 'off', class: 'code', 'aria-describedby': '' });
    const textLabel = h('label', { for: textarea.id }, 'Item');
    const warning = h('p', { class: 'warning', id: uid('warn'), hidden: true });
    const error = errorBox();
    error.id = uid('err');
    textarea.setAttribute('aria-describedby', `${warning.id} ${error.id}`);
    const save = h('button', { type: 'submit', class: 'primary' }, mode === 'edit' ? 'Save' : 'Create item');
    const duplicate = h('button', { type: 'button' }, 'Duplicate');
    const remove = h('button', { type: 'button', class: 'danger' }, 'Delete item');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const keyNote = h('p', { class: 'hint' }, `Key: ${keySchema.map((k) => `${k.AttributeName} (${k.KeyType === 'HASH' ? 'partition' : 'sort'})`).join(', ')}.` +
      (mode === 'edit' ? ' Changing the key saves a new item and leaves this one as it is.' : ' Creating refuses to overwrite an item with the same key.'));
    const form = h(
      'form',
      { method: 'dialog', novalidate: true },
      h('h2', { id: titleId }, `${title} · ${table}`),
      keyNote,
      h('fieldset', { class: 'switch' }, h('legend', null, 'Format'),
        plainRadio, h('label', { for: plainRadio.id }, 'Plain JSON'),
        ddbRadio, h('label', { for: ddbRadio.id }, 'DynamoDB JSON')),
      warning,
      h('div', { class: 'field' }, textLabel, textarea),
      error,
      h('div', { class: 'buttons' }, save, mode === 'edit' ? duplicate : null, mode === 'edit' ? remove : null, cancel),
    );
    const dialog = h('dialog', { class: 'editor', 'aria-labelledby': titleId }, form);
    document.body.append(dialog);

    const keyAttributes = keyNames(keySchema);
    const original = keysFirst(item || {}, keyAttributes);
    const unplain = unplainPath(original);
    let current = unplain ? 'ddb' : window.sessionStorage.getItem(MODE_KEY) || 'plain';

    const setText = (value) => {
      textarea.value = current === 'plain' ? stringifyJson(itemToPlain(value), 2) : stringifyJson(value, 2);
      textLabel.textContent = current === 'plain' ? 'Item (plain JSON)' : 'Item (DynamoDB JSON)';
      plainRadio.checked = current === 'plain';
      ddbRadio.checked = current === 'ddb';
    };
    const warn = (why) => {
      warning.hidden = !why;
      warning.textContent = why ? `Warning: ${why}. Sets and binary values need DynamoDB JSON, so the editor stays in DynamoDB JSON mode.` : '';
    };
    const fail = (e) => {
      showError(error, e);
      if (e instanceof JsonParseError) {
        textarea.focus();
        textarea.setSelectionRange(e.position, Math.min(e.position + 1, textarea.value.length));
      }
    };

    /** The item the text holds (DynamoDB JSON), or throws with a message for the user. */
    const read = () => {
      const value = parseJson(textarea.value);
      if (current === 'plain') return plainToItem(value);
      const problems = checkItemShape(value);
      if (problems.length) throw new Error(problems.join('\n'));
      return value;
    };

    warn(unplain);
    setText(original);

    const switchTo = (target) => {
      if (target === current) return;
      showError(error, null);
      let value;
      try {
        value = read();
      } catch (e) {
        fail(e);
        (current === 'plain' ? plainRadio : ddbRadio).checked = true;
        return;
      }
      if (target === 'plain') {
        const why = unplainPath(value);
        if (why) {
          warn(why);
          ddbRadio.checked = true;
          ddbRadio.focus();
          return;
        }
      }
      warn(null);
      current = target;
      window.sessionStorage.setItem(MODE_KEY, target);
      setText(value);
    };
    plainRadio.addEventListener('change', () => switchTo('plain'));
    ddbRadio.addEventListener('change', () => switchTo('ddb'));
    textarea.addEventListener('input', () => showError(error, null));

    const close = () => dialog.close();
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve();
    });
    cancel.addEventListener('click', close);

    const hashName = (keySchema.find((k) => k.KeyType === 'HASH') || {}).AttributeName;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      showError(error, null);
      let value;
      try {
        value = read();
      } catch (e) {
        fail(e);
        return;
      }
      const newKey = keyOf(value, keySchema);
      const oldKey = keyOf(original, keySchema);
      const sameKey = mode === 'edit' && keySchema.every((k) => newKey[k.AttributeName] && oldKey[k.AttributeName] && avEqual(newKey[k.AttributeName], oldKey[k.AttributeName]));
      const request = { TableName: table, Item: value };
      if (!sameKey && hashName) {
        request.ConditionExpression = 'attribute_not_exists(#pk)';
        request.ExpressionAttributeNames = { '#pk': hashName };
      }
      const done = busyButton(save);
      try {
        await ddb('PutItem', request);
        announce(sameKey ? `Saved item ${keyText(newKey, keyAttributes)}.` : `Created item ${keyText(newKey, keyAttributes)}.`);
        close();
        if (onSaved) onSaved();
      } catch (e) {
        if (e.code === 'ConditionalCheckFailedException') e.message = `${e.message} (an item with key ${keyText(newKey, keyAttributes)} already exists)`;
        fail(e);
      } finally {
        done();
      }
    });

    duplicate.addEventListener('click', () => {
      let value;
      try {
        value = read();
      } catch (e) {
        fail(e);
        return;
      }
      dialog.close();
      openEditor({ table, keySchema, item: value, mode: 'duplicate', onSaved });
    });

    remove.addEventListener('click', async () => {
      const key = keyOf(original, keySchema);
      const ok = await confirmDialog({ title: 'Delete this item?', message: `The item ${keyText(key, keyAttributes)} is deleted from ${table}.`, confirmLabel: 'Delete item', danger: true });
      if (!ok) return;
      try {
        await ddb('DeleteItem', { TableName: table, Key: key });
        announce(`Deleted item ${keyText(key, keyAttributes)}.`);
        close();
        if (onSaved) onSaved();
      } catch (e) {
        fail(e);
      }
    });

    dialog.showModal();
    textarea.focus();
  });
}
