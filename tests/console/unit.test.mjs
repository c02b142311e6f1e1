// The console's pure modules (no DOM): the JSON reader that keeps numbers, the
// conversions between plain JSON and DynamoDB JSON, diffs, query expressions
// and the CSV / JSON lines formats. Run: node --test tests/console/unit.test.mjs
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseJson, stringifyJson, JsonNumber, JsonParseError } from '../../crates/cairn-server/console/json.js';
import {
  itemToPlain, plainToItem, unplainPath, checkItemShape, diffImages, avEqual, normalizeNumber, columnsOf, displayValue,
  keyId, keyText, keyOf, keysFirst,
} from '../../crates/cairn-server/console/ddb.js';
import { itemsToCsv, csvToItems, parseCsv, detectFormat, parseItems, serializeItems } from '../../crates/cairn-server/console/formats.js';

const sample = {
  pk: { S: 'a,b "quoted"\nline' },
  sk: { N: '12345678901234567890123456789012345678' },
  empty: { S: '' },
  flag: { BOOL: false },
  nothing: { NULL: true },
  list: { L: [{ S: 'x' }, { N: '1.50' }, { M: { deep: { BOOL: true } } }] },
  map: { M: { 'dotted.name': { S: 'v' }, n: { N: '-0.001' } } },
  strings: { SS: ['b', 'a'] },
  numbers: { NS: ['1', '2.5'] },
  bin: { B: 'AAEC' },
  bins: { BS: ['AQ==', 'Ag=='] },
  'name:with:colons': { S: 'colon' },
};

test('numbers keep every digit through parse and stringify', () => {
  const v = parseJson('{"n": 12345678901234567890123456789012345678, "f": -1.5e-130}');
  assert.ok(v.n instanceof JsonNumber);
  assert.equal(v.n.text, '12345678901234567890123456789012345678');
  assert.equal(stringifyJson(v, 0), '{"n":12345678901234567890123456789012345678,"f":-1.5e-130}');
});

test('parse errors name the line and column', () => {
  assert.throws(() => parseJson('{\n  "a": 1,\n  "b" 2\n}'), (e) => e instanceof JsonParseError && e.line === 3 && e.column === 7 && /line 3, column 7/.test(e.message));
  assert.throws(() => parseJson('{"a": 1} x'), /after the JSON value/);
  assert.throws(() => parseJson('{"a": 1, "a": 2}'), /Duplicate property "a"/);
  assert.throws(() => parseJson(''), /end of input/);
});

test('__proto__ is an ordinary attribute name', () => {
  const v = parseJson('{"__proto__": {"S": "x"}}');
  assert.deepEqual(Object.keys(v), ['__proto__']);
  assert.equal(checkItemShape(v).length, 0);
});

test('plain JSON and DynamoDB JSON convert both ways', () => {
  const item = { pk: { S: 'a' }, n: { N: '10.50' }, b: { BOOL: true }, z: { NULL: true }, l: { L: [{ N: '1' }, { S: 's' }] }, m: { M: { x: { S: 'y' } } } };
  const plain = itemToPlain(item);
  assert.equal(stringifyJson(plain, 0), '{"pk":"a","n":10.50,"b":true,"z":null,"l":[1,"s"],"m":{"x":"y"}}');
  assert.deepEqual(plainToItem(parseJson(stringifyJson(plain, 2))), item);
});

test('sets and binary have no plain form', () => {
  assert.match(unplainPath({ tags: { SS: ['a'] } }), /tags is a set \(SS\)/);
  assert.match(unplainPath({ m: { M: { raw: { B: 'AA==' } } } }), /m\.raw is a binary value/);
  assert.equal(unplainPath({ a: { S: 'x' } }), null);
});

test('DynamoDB JSON shape problems are named by path', () => {
  assert.deepEqual(checkItemShape({ a: { S: 'x' } }), []);
  assert.match(checkItemShape({ a: { N: new JsonNumber('5') } })[0], /a: the value of N is a number written as a JSON string/);
  assert.match(checkItemShape({ a: { X: 1 } })[0], /exactly one type key/);
  assert.match(checkItemShape({ a: { L: [{ S: 1 }] } })[0], /a\[0\]: the value of S is a JSON string/);
  assert.match(checkItemShape([])[0], /An item is a JSON object/);
});

test('numbers compare by value; sets as sets', () => {
  assert.equal(normalizeNumber('007.50'), '7.5');
  assert.equal(normalizeNumber('1e2'), '100');
  assert.equal(normalizeNumber('-0.0'), '0');
  assert.ok(avEqual({ N: '1.0' }, { N: '1' }));
  assert.ok(avEqual({ SS: ['a', 'b'] }, { SS: ['b', 'a'] }));
  assert.ok(!avEqual({ S: '1' }, { N: '1' }));
});

test('diffs mark added, removed and changed attributes', () => {
  const rows = diffImages({ pk: { S: 'k' }, a: { N: '1' }, gone: { S: 'x' } }, { pk: { S: 'k' }, a: { N: '2' }, fresh: { BOOL: true } }, ['pk']);
  assert.deepEqual(rows.map((r) => [r.name, r.kind]), [['pk', 'same'], ['a', 'changed'], ['fresh', 'added'], ['gone', 'removed']]);
});

test('columns put key attributes first', () => {
  assert.deepEqual(columnsOf([{ z: { S: '1' }, sk: { S: '2' }, pk: { S: '3' } }, { y: { S: '4' } }], ['pk', 'sk']), ['pk', 'sk', 'z', 'y']);
  assert.equal(displayValue({ S: 'x'.repeat(300) }).length, 200);
});

test('CSV round-trips every type', () => {
  const other = { pk: { S: 'second' }, sk: { S: 'text, now a string' }, flag: { BOOL: true } };
  const csv = itemsToCsv([sample, other], ['pk', 'sk']);
  const header = csv.split('\r\n')[0];
  assert.ok(header.startsWith('pk,sk:N,sk,'), header);
  for (const h of ['flag:BOOL', 'nothing:NULL', 'list:json', 'strings:json', 'bin:B', 'name:with:colons:S']) assert.ok(header.split(',').includes(h), h);
  assert.deepEqual(csvToItems(csv), [sample, other]);
});

test('CSV: an unquoted empty cell is absent, "" is the empty string', () => {
  const rows = parseCsv('a,b,c\r\n1,,""\r\n');
  assert.deepEqual(rows[1].cells, ['1', null, '']);
  assert.deepEqual(csvToItems('pk,x,y:N\nk,,""\n'), [{ pk: { S: 'k' }, y: { N: '' } }]);
  assert.throws(() => csvToItems('pk,flag:BOOL\nk,maybe\n'), /line 2: column flag:BOOL holds "maybe"/);
});

test('DynamoDB JSON lines and plain JSON lines round-trip', () => {
  const ddb = serializeItems([sample], 'ddbjsonl').parts.join('');
  assert.ok(ddb.startsWith('{"Item":{'));
  assert.equal(detectFormat('x.jsonl', ddb), 'ddbjsonl');
  assert.deepEqual(parseItems(ddb, 'ddbjsonl'), [sample]);
  const plainItem = { pk: { S: 'a' }, n: { N: '12345678901234567890.5' }, m: { M: { l: { L: [{ BOOL: true }, { NULL: true }] } } } };
  const { parts, lossy } = serializeItems([plainItem, sample], 'jsonl');
  assert.equal(lossy, 1);
  assert.equal(detectFormat('x.jsonl', parts.join('')), 'jsonl');
  assert.deepEqual(parseItems(parts[0], 'jsonl'), [plainItem]);
  assert.equal(detectFormat('x.txt', 'pk,sk\n1,2\n'), 'csv');
  assert.equal(detectFormat('seed.jsonl', '{"pk": {"S": "a"}}\n'), 'ddbjsonl');
  assert.throws(() => parseItems('{"a": 1}\n{"b": }\n', 'jsonl'), /Line 2: Unexpected '}'/);
});

test('query expressions use placeholders, multi-attribute keys and every operator', async () => {
  const { buildExpressions } = await import('../../crates/cairn-server/console/views/items.js');
  const out = buildExpressions({
    query: true,
    partition: [{ name: 'tenant', type: 'S', value: 't1' }, { name: 'region', type: 'S', value: 'eu' }],
    sort: [{ name: 'year', type: 'N', op: '=', value: '2026' }, { name: 'day', type: 'N', op: 'BETWEEN', value: '1', value2: '9' }],
    filters: [{ name: 'size', op: 'attribute_exists' }, { name: 'status', op: '<>', type: 'S', value: 'x' }],
    projection: ['a', 'b.c'],
  });
  assert.equal(out.KeyConditionExpression, '#k0 = :k0 AND #k1 = :k1 AND #r0 = :r0 AND #r1 BETWEEN :r1 AND :r1b');
  assert.equal(out.FilterExpression, 'attribute_exists(#f0) AND #f1 <> :f1');
  assert.equal(out.ProjectionExpression, '#p0, #p1');
  assert.deepEqual(out.ExpressionAttributeNames, { '#k0': 'tenant', '#k1': 'region', '#r0': 'year', '#r1': 'day', '#f0': 'size', '#f1': 'status', '#p0': 'a', '#p1': 'b.c' });
  assert.deepEqual(out.ExpressionAttributeValues[':r1b'], { N: '9' });
  for (const [op, expr] of [['<', '#r0 < :r0'], ['<=', '#r0 <= :r0'], ['>', '#r0 > :r0'], ['>=', '#r0 >= :r0'], ['begins_with', 'begins_with(#r0, :r0)']]) {
    const e = buildExpressions({ query: true, partition: [{ name: 'pk', type: 'S', value: 'a' }], sort: [{ name: 's', type: 'S', op, value: 'v' }] });
    assert.equal(e.KeyConditionExpression, `#k0 = :k0 AND ${expr}`);
  }
  assert.throws(() => buildExpressions({ query: true, partition: [{ name: 'pk', type: 'S', value: '' }] }), /Enter a value for the partition key attribute pk/);
  assert.throws(() => buildExpressions({ query: true, partition: [{ name: 'pk', type: 'S', value: 'a' }],
    sort: [{ name: 'x', type: 'S', op: '' }, { name: 'y', type: 'S', op: '=', value: '1' }] }), /give x before y/);
  assert.throws(() => buildExpressions({ query: true, partition: [{ name: 'pk', type: 'S', value: 'a' }],
    sort: [{ name: 'x', type: 'S', op: '<', value: '1' }, { name: 'y', type: 'S', op: '=', value: '1' }] }), /x needs =/);
  assert.deepEqual(buildExpressions({ query: false }), {});
});

test('attribute names such as constructor or toString are ordinary names', () => {
  const items = [{ pk: { S: 'a' }, constructor: { S: 'c' }, toString: { N: '1' } }, { pk: { S: 'b' } }];
  assert.deepEqual(columnsOf(items, ['pk']), ['pk', 'constructor', 'toString']);
  // The second item has neither: nothing is found on Object.prototype.
  const rows = diffImages(items[1], { pk: { S: 'b' }, toString: { S: 'new' } }, ['pk']);
  assert.deepEqual(rows.map((r) => [r.name, r.kind]), [['pk', 'same'], ['toString', 'added']]);
  assert.equal(rows[1].before, undefined);
  assert.ok(!avEqual({ M: { constructor: { S: 'x' } } }, { M: { other: { S: 'x' } } }));
  assert.deepEqual(keyOf({ pk: { S: 'a' } }, [{ AttributeName: 'constructor', KeyType: 'RANGE' }]), {});
  assert.deepEqual(Object.keys(keysFirst({ b: { S: '1' } }, ['valueOf'])), ['b']);
  const csv = itemsToCsv(items, ['pk']);
  assert.deepEqual(csvToItems(csv), items);
  assert.deepEqual(csvToItems('pk,constructor,__proto__\na,x,y\n'), [Object.defineProperty({ pk: { S: 'a' }, constructor: { S: 'x' } }, '__proto__', { value: { S: 'y' }, enumerable: true, writable: true, configurable: true })]);
});

test('a key is told apart by every character, and numbers by value', () => {
  const long = 'x'.repeat(100);
  const a = { pk: { S: `${long}1` } };
  const b = { pk: { S: `${long}2` } };
  assert.equal(keyText(a, ['pk']), keyText(b, ['pk'])); // the label is shortened
  assert.notEqual(keyId(a), keyId(b));
  assert.equal(keyId({ pk: { S: 'k' }, n: { N: '1.0' } }), keyId({ n: { N: '1' }, pk: { S: 'k' } }));
  assert.notEqual(keyId({ pk: { S: '1' } }), keyId({ pk: { N: '1' } }));
});

test('CSV cells a spreadsheet would run as formulas are defused, and round-trip', () => {
  const items = [
    { pk: { S: '=HYPERLINK("http://example.invalid","x")' }, a: { S: '+1' }, b: { S: '-2' }, c: { S: '@SUM(A1)' }, d: { S: '\tx' },
      e: { S: "'=already" }, f: { S: "'plain" }, bin: { B: '+/8=' }, n: { N: '-5' }, '=cmd': { S: 'header' } },
  ];
  const csv = itemsToCsv(items, ['pk']);
  const rows = parseCsv(csv).map((r) => r.cells);
  for (const cell of [...rows[0], ...rows[1]]) {
    if (cell !== null && cell !== '-5') assert.ok(!/^[=+\-@\t\r]/.test(cell), `cell ${JSON.stringify(cell)} starts like a formula`);
  }
  assert.ok(rows[0].includes("'=cmd"));
  assert.ok(rows[1].includes("''=already") && rows[1].includes("'plain"));
  assert.deepEqual(csvToItems(csv), items);
});

test('DynamoDB JSON of an item nested 32 levels deep (the most DynamoDB keeps) is read', () => {
  let av = { S: 'leaf' };
  for (let i = 0; i < 31; i++) av = { M: { a: av } };
  const line = JSON.stringify({ Item: { top: av } });
  assert.deepEqual(parseItems(line, 'ddbjsonl'), [{ top: av }]);
  assert.throws(() => parseJson('['.repeat(10000)), /Nested too deeply/);
});
