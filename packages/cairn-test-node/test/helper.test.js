'use strict';
// The helper's own tests (node:test, no dependencies). Needs CAIRN_BIN or `cairn` on PATH.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const cairn = require('..');

function fakeBinary(script) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-fake-'));
  const file = path.join(dir, 'cairn');
  fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return file;
}

test('a missing binary says how to get one', async () => {
  await assert.rejects(cairn.startCairn({ bin: '/nonexistent/cairn' }), (err) => {
    assert.equal(err.name, 'CairnError');
    assert.match(err.message, /the bin option names "\/nonexistent\/cairn"/);
    assert.match(err.message, /cargo build --release -p cairn/);
    return true;
  });
});

test('no CAIRN_BIN and nothing on PATH', () => {
  const saved = { bin: process.env.CAIRN_BIN, path: process.env.PATH };
  delete process.env.CAIRN_BIN;
  process.env.PATH = fs.mkdtempSync(path.join(os.tmpdir(), 'empty-path-'));
  try {
    assert.throws(() => cairn.findBinary(), /No cairn binary found[\s\S]*put `cairn` on PATH/);
  } finally {
    if (saved.bin !== undefined) process.env.CAIRN_BIN = saved.bin;
    process.env.PATH = saved.path;
  }
});

test('a server that exits early: the error has its output', async () => {
  const bin = fakeBinary("echo 'cairn: something went wrong' >&2; exit 3");
  await assert.rejects(cairn.startCairn({ bin }), /exited with code 3 before it was ready[\s\S]*something went wrong/);
});

test('a server that never answers: timeout with its output', async () => {
  const bin = fakeBinary("echo 'still warming up' >&2; exec sleep 30");
  const started = Date.now();
  await assert.rejects(cairn.startCairn({ bin, timeoutMs: 500 }), /did not answer GET .* within 500 ms[\s\S]*still warming up/);
  assert.ok(Date.now() - started < 5000);
});

test('start, admin calls, stop', async () => {
  const server = await cairn.startCairn();
  try {
    assert.match(server.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await server.reset()).reset, true);
    assert.equal((await server.save('s1')).saved.name, 's1');
    assert.deepEqual((await server.snapshots()).map((s) => s.name), ['s1']);
    assert.equal((await server.restore('s1')).restored.name, 's1');
    assert.deepEqual(await server.deleteSnapshot('s1'), { deleted: 's1' });
    await assert.rejects(server.restore('s1'), (err) => err.type === 'ValidationException' && /No snapshot named s1/.test(err.message));
    // The module-level helpers read CAIRN_ENDPOINT at each call.
    process.env.CAIRN_ENDPOINT = server.endpoint;
    assert.equal((await cairn.reset()).reset, true);
    assert.deepEqual(cairn.clientConfig(), {
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'cairn', secretAccessKey: 'cairn' },
    });
  } finally {
    delete process.env.CAIRN_ENDPOINT;
    assert.equal(await server.stop(), 0);
  }
  assert.throws(() => process.kill(server.pid, 0), { code: 'ESRCH' });
  assert.throws(() => cairn.endpoint(), /CAIRN_ENDPOINT is not set/);
});

test('the global setup reuses a running CAIRN_ENDPOINT and starts nothing', async () => {
  const server = await cairn.startCairn();
  const savedBin = process.env.CAIRN_BIN;
  process.env.CAIRN_ENDPOINT = server.endpoint;
  process.env.CAIRN_BIN = '/nonexistent/cairn';
  try {
    const teardown = await cairn.vitestGlobalSetup()();
    assert.equal(process.env.CAIRN_ENDPOINT, server.endpoint);
    await teardown();
    assert.equal(process.env.CAIRN_ENDPOINT, server.endpoint, 'not ours to unset');
    assert.equal(server.process.exitCode, null, 'the external server keeps running');
  } finally {
    delete process.env.CAIRN_ENDPOINT;
    if (savedBin === undefined) delete process.env.CAIRN_BIN;
    else process.env.CAIRN_BIN = savedBin;
    await server.stop();
  }
});

test('the ESM entry has the same functions', async () => {
  const esm = await import('../index.mjs');
  assert.equal(esm.startCairn, cairn.startCairn);
  assert.equal(esm.default, cairn);
  const setup = await import('../vitest-global-setup.mjs');
  assert.equal(typeof setup.default, 'function');
});
