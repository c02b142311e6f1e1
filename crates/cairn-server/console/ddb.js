// DynamoDB values: conversion between DynamoDB JSON ({"S": "x"}) and plain JSON,
// checks of DynamoDB JSON's shape, display text, keys, equality and diffs.

import { JsonNumber, stringifyJson } from './json.js';

export const TYPES = ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS'];

/** Thrown when a value has no plain-JSON form (sets and binary). */
export class NotPlainError extends Error {}

/**
 * An item's own attribute (or undefined): `item[name]` would find Object.prototype's
 * members for attribute names such as "constructor" or "toString".
 */
export function own(obj, name) {
  return obj && Object.prototype.hasOwnProperty.call(obj, name) ? obj[name] : undefined;
}

/** Sets an own property, even one named "__proto__". */
export function setOwn(obj, name, value) {
  Object.defineProperty(obj, name, { value, enumerable: true, writable: true, configurable: true });
  return obj;
}

/** The type key of an attribute value ({"S": ..} → "S"). */
export function typeOf(av) {
  return av && typeof av === 'object' ? Object.keys(av)[0] : undefined;
}

/** A DynamoDB attribute value as plain JSON (numbers as JsonNumber). Throws NotPlainError. */
export function toPlain(av, path = '') {
  const type = typeOf(av);
  const v = av[type];
  switch (type) {
    case 'S':
      return v;
    case 'N':
      return new JsonNumber(String(v));
    case 'BOOL':
      return v;
    case 'NULL':
      return null;
    case 'L':
      return v.map((x, i) => toPlain(x, `${path}[${i}]`));
    case 'M': {
      const out = {};
      for (const k of Object.keys(v)) {
        Object.defineProperty(out, k, { value: toPlain(v[k], path ? `${path}.${k}` : k), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new NotPlainError(`${path || 'value'} is a ${type === 'B' ? 'binary value' : `set (${type})`}, which plain JSON cannot express`);
  }
}

/** A plain JSON value (from parseJson) as a DynamoDB attribute value. */
export function fromPlain(value) {
  if (value === null) return { NULL: true };
  if (value instanceof JsonNumber) return { N: value.text };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(fromPlain) };
  const m = {};
  for (const k of Object.keys(value)) {
    Object.defineProperty(m, k, { value: fromPlain(value[k]), enumerable: true, writable: true, configurable: true });
  }
  return { M: m };
}

export function itemToPlain(item) {
  const out = {};
  for (const k of Object.keys(item)) {
    Object.defineProperty(out, k, { value: toPlain(item[k], k), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function plainToItem(obj) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || obj instanceof JsonNumber) {
    throw new Error('An item is a JSON object: {"name": value, ...}');
  }
  return fromPlain(obj).M;
}

/** The first attribute path in an item that plain JSON cannot express, or null. */
export function unplainPath(item) {
  try {
    itemToPlain(item);
    return null;
  } catch (e) {
    if (e instanceof NotPlainError) return e.message;
    throw e;
  }
}

/** Problems with a parsed value as an item in DynamoDB JSON (empty when its shape is right). */
export function checkItemShape(item) {
  const problems = [];
  if (item === null || typeof item !== 'object' || Array.isArray(item) || item instanceof JsonNumber) {
    return ['An item is a JSON object of attributes: {"name": {"S": "value"}, ...}'];
  }
  for (const name of Object.keys(item)) checkValue(item[name], name, problems);
  return problems;
}

function checkValue(av, path, problems) {
  if (problems.length > 20) return;
  if (av === null || typeof av !== 'object' || Array.isArray(av) || av instanceof JsonNumber) {
    problems.push(`${path}: expected an attribute value such as {"S": "text"} or {"N": "1"}`);
    return;
  }
  const keys = Object.keys(av);
  if (keys.length !== 1 || !TYPES.includes(keys[0])) {
    problems.push(`${path}: an attribute value has exactly one type key (${TYPES.join(', ')}), found ${keys.length ? keys.join(', ') : 'none'}`);
    return;
  }
  const type = keys[0];
  const v = av[type];
  const isStringList = Array.isArray(v) && v.every((x) => typeof x === 'string');
  switch (type) {
    case 'S':
    case 'B':
      if (typeof v !== 'string') problems.push(`${path}: the value of ${type} is a JSON string`);
      break;
    case 'N':
      if (typeof v !== 'string') problems.push(`${path}: the value of N is a number written as a JSON string, e.g. {"N": "42"}`);
      break;
    case 'BOOL':
      if (typeof v !== 'boolean') problems.push(`${path}: the value of BOOL is true or false`);
      break;
    case 'NULL':
      if (v !== true) problems.push(`${path}: the value of NULL is true`);
      break;
    case 'SS':
    case 'NS':
    case 'BS':
      if (!isStringList) problems.push(`${path}: the value of ${type} is an array of strings`);
      break;
    case 'L':
      if (!Array.isArray(v)) problems.push(`${path}: the value of L is an array of attribute values`);
      else v.forEach((x, i) => checkValue(x, `${path}[${i}]`, problems));
      break;
    case 'M':
      if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof JsonNumber) {
        problems.push(`${path}: the value of M is an object of attribute values`);
      } else {
        for (const k of Object.keys(v)) checkValue(v[k], `${path}.${k}`, problems);
      }
      break;
    default:
  }
}

/** Short one-line text for a value in a table cell. */
export function displayValue(av, max = 200) {
  const type = typeOf(av);
  const v = av[type];
  let text;
  switch (type) {
    case 'S':
    case 'N':
      text = v;
      break;
    case 'B':
      text = `(binary) ${v}`;
      break;
    case 'BOOL':
      text = v ? 'true' : 'false';
      break;
    case 'NULL':
      text = 'null';
      break;
    case 'SS':
    case 'NS':
    case 'BS':
      text = `${type} ${JSON.stringify(v)}`;
      break;
    default: {
      const plainOk = !unplainPath({ x: av });
      text = plainOk ? stringifyJson(toPlain(av), 0) : JSON.stringify(av);
    }
  }
  if (typeof text !== 'string') text = String(text);
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

/** Key attribute names of a key schema, partition (HASH) attributes first. */
export function keyNames(keySchema) {
  const hash = keySchema.filter((k) => k.KeyType === 'HASH').map((k) => k.AttributeName);
  const range = keySchema.filter((k) => k.KeyType === 'RANGE').map((k) => k.AttributeName);
  return [...hash, ...range];
}

/** The key of an item under a table's key schema. */
export function keyOf(item, keySchema) {
  const key = {};
  for (const { AttributeName } of keySchema) {
    const av = own(item, AttributeName);
    if (av !== undefined) setOwn(key, AttributeName, av);
  }
  return key;
}

/**
 * An exact identity of a key, for telling items apart (selections, duplicates in
 * a batch): every character of every value (keyText shortens long values), and
 * numbers by value ("1.0" and "1" are the same key in DynamoDB).
 */
export function keyId(key) {
  return JSON.stringify(Object.keys(key).sort().map((name) => {
    const av = key[name];
    const type = typeOf(av);
    return [name, type, type === 'N' ? normalizeNumber(av.N) : av[type]];
  }));
}

/** A stable text for a key (for comparisons and labels): names in `order` first, then the rest sorted. */
export function keyText(key, order = []) {
  const names = Object.keys(key);
  const first = order.filter((k) => names.includes(k));
  return [...first, ...names.filter((k) => !first.includes(k)).sort()]
    .map((k) => `${k}=${displayValue(key[k], 80)}`)
    .join(', ');
}

/** The item with its key attributes first (in key schema order), for showing it. */
export function keysFirst(item, keyAttributes) {
  const out = {};
  for (const k of keyAttributes) if (own(item, k) !== undefined) setOwn(out, k, item[k]);
  for (const k of Object.keys(item)) {
    if (!keyAttributes.includes(k)) Object.defineProperty(out, k, { value: item[k], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Whether two attribute values are equal (sets compared as sets). */
export function avEqual(a, b) {
  const ta = typeOf(a);
  if (ta !== typeOf(b)) return false;
  const x = a[ta];
  const y = b[ta];
  switch (ta) {
    case 'SS':
    case 'NS':
    case 'BS': {
      if (x.length !== y.length) return false;
      const norm = (s) => (ta === 'NS' ? s.map(normalizeNumber) : s);
      const set = new Set(norm(x));
      return norm(y).every((e) => set.has(e));
    }
    case 'N':
      return normalizeNumber(x) === normalizeNumber(y);
    case 'L':
      return x.length === y.length && x.every((e, i) => avEqual(e, y[i]));
    case 'M': {
      const kx = Object.keys(x);
      const ky = Object.keys(y);
      return kx.length === ky.length && kx.every((k) => own(y, k) !== undefined && avEqual(x[k], y[k]));
    }
    default:
      return x === y;
  }
}

/** A canonical text of a DynamoDB number ("007.50" → "7.5", "1e2" → "100"). */
export function normalizeNumber(text) {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(String(text).trim());
  if (!m || (!m[2] && !m[3])) return String(text);
  const [, sign, int = '', frac = '', exp = '0'] = m;
  const all = int + frac;
  const stripped = all.replace(/^0+/, '');
  if (!stripped) return '0';
  // Where the decimal point falls, counted from the first significant digit.
  const point = int.length - (all.length - stripped.length) + parseInt(exp, 10);
  const digits = stripped.replace(/0+$/, '');
  let out;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  return (sign === '-' ? '-' : '') + out;
}

/**
 * Differences between two item images: one entry per attribute of either, with
 * kind 'added', 'removed', 'changed' or 'same'; keys first, then by name.
 */
export function diffImages(oldImage, newImage, keyAttributes = []) {
  const names = new Set([...Object.keys(oldImage || {}), ...Object.keys(newImage || {})]);
  const ordered = [...keyAttributes.filter((k) => names.has(k)), ...[...names].filter((n) => !keyAttributes.includes(n)).sort()];
  return ordered.map((name) => {
    const before = own(oldImage, name);
    const after = own(newImage, name);
    let kind = 'same';
    if (before === undefined) kind = 'added';
    else if (after === undefined) kind = 'removed';
    else if (!avEqual(before, after)) kind = 'changed';
    return { name, kind, before, after };
  });
}

/** Attribute names seen in items, key attributes first, the rest in order of first appearance. */
export function columnsOf(items, keyAttributes = []) {
  const seen = new Set(keyAttributes);
  const rest = [];
  for (const item of items) {
    for (const k of Object.keys(item)) {
      if (!seen.has(k)) {
        seen.add(k);
        rest.push(k);
      }
    }
  }
  const present = keyAttributes.filter((k) => items.some((it) => own(it, k) !== undefined) || items.length === 0);
  return [...present, ...rest];
}

/** A typed attribute value from form text: S, N, B (base64), BOOL, NULL. */
export function typedValue(type, text) {
  switch (type) {
    case 'N':
      return { N: text.trim() };
    case 'B':
      return { B: text.trim() };
    case 'BOOL': {
      const t = text.trim().toLowerCase();
      if (t !== 'true' && t !== 'false') throw new Error(`A BOOL value is true or false, not "${text}"`);
      return { BOOL: t === 'true' };
    }
    case 'NULL':
      return { NULL: true };
    default:
      return { S: text };
  }
}
