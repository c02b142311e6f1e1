'use strict';
// @cairn-db/test: start Cairn (the DynamoDB-compatible server) for a test run, and
// reset or snapshot it between tests. No dependencies; needs Node 18+ (global fetch).

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const REGION = 'us-east-1';
const CREDENTIALS = Object.freeze({ accessKeyId: 'cairn', secretAccessKey: 'cairn' });
const OUTPUT_LIMIT = 64 * 1024;

const INSTALL_HINT = [
  'Point @cairn-db/test at a cairn binary in one of these ways:',
  '  * set CAIRN_BIN=/path/to/cairn (or pass startCairn({ bin }));',
  '  * put `cairn` on PATH;',
  '  * set CAIRN_ENDPOINT=http://127.0.0.1:8000 to use a server that is already running (global setups).',
  'To build one from the Cairn repository: `cargo build --release -p cairn` (the binary is',
  'target/release/cairn), or `cargo install --path crates/cairn`.',
].join('\n');

class CairnError extends Error {
  constructor(message, details = {}) {
    super(message);
    this.name = 'CairnError';
    Object.assign(this, details);
  }
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** The cairn binary: `explicit`, else $CAIRN_BIN, else `cairn` on PATH. */
function findBinary(explicit) {
  for (const [source, value] of [['the bin option', explicit], ['CAIRN_BIN', process.env.CAIRN_BIN]]) {
    if (!value) continue;
    const file = value.includes('/') || value.includes(path.sep) ? path.resolve(value) : onPath(value);
    if (file && isExecutable(file)) return file;
    throw new CairnError(`${source} names ${JSON.stringify(value)}, which is not an executable file.\n${INSTALL_HINT}`);
  }
  const found = onPath('cairn');
  if (found) return found;
  throw new CairnError(`No cairn binary found (CAIRN_BIN is not set and \`cairn\` is not on PATH).\n${INSTALL_HINT}`);
}

/** A port nobody listens on right now: bind port 0 on 127.0.0.1, read it, close. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function isReady(endpoint) {
  try {
    const response = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

// Servers still running when this process exits are killed (a crashed test run must not leave them behind).
const running = new Set();
let exitHookInstalled = false;
function track(child) {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) {
        try {
          c.kill('SIGKILL');
        } catch {
          /* already gone */
        }
      }
    });
  }
}

function endpointOf(endpoint) {
  const value = endpoint || process.env.CAIRN_ENDPOINT;
  if (!value) {
    throw new CairnError(
      'CAIRN_ENDPOINT is not set: use the Jest or Vitest global setup from @cairn-db/test, ' +
        'or pass the endpoint that startCairn() returned.'
    );
  }
  return value.replace(/\/+$/, '');
}

async function adminCall(endpoint, method, urlPath, what) {
  const url = `${endpointOf(endpoint)}${urlPath}`;
  let response;
  let text;
  try {
    response = await fetch(url, { method, body: method === 'POST' ? '' : undefined });
    text = await response.text();
  } catch (err) {
    throw new CairnError(`${what} failed: no Cairn server answers at ${endpointOf(endpoint)} (${err.cause?.code || err.message})`);
  }
  let body;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const type = (body && String(body.__type || '').split('#').pop()) || `HTTP ${response.status}`;
    const message = (body && (body.message || body.Message)) || text;
    throw new CairnError(`${what} failed (${method} ${url}): ${type}: ${message}`, { type, status: response.status });
  }
  if (body === undefined) throw new CairnError(`${what}: ${method} ${url} answered non-JSON: ${text.slice(0, 200)}`);
  return body;
}

const snapshotPath = (name) => `/_cairn/snapshots/${encodeURIComponent(name)}`;

/** Admin calls against `endpoint` (default: process.env.CAIRN_ENDPOINT, read at each call). */
function connect(endpoint) {
  return {
    get endpoint() {
      return endpointOf(endpoint);
    },
    /** Drop every table, then load the server's --seed fixtures again. Snapshots are kept. */
    reset: () => adminCall(endpoint, 'POST', '/_cairn/reset', 'reset'),
    /** Save the whole server state as snapshot `name`. */
    save: (name) => adminCall(endpoint, 'POST', snapshotPath(name), `save snapshot ${JSON.stringify(name)}`),
    /** Put snapshot `name` back (it stays saved). */
    restore: (name) =>
      adminCall(endpoint, 'POST', `${snapshotPath(name)}/restore`, `restore snapshot ${JSON.stringify(name)}`),
    deleteSnapshot: (name) =>
      adminCall(endpoint, 'DELETE', snapshotPath(name), `delete snapshot ${JSON.stringify(name)}`),
    snapshots: async () => (await adminCall(endpoint, 'GET', '/_cairn/snapshots', 'list snapshots')).snapshots || [],
    /** Options for `new DynamoDBClient(...)`: endpoint, region us-east-1, dummy credentials. */
    clientConfig: (extra = {}) => clientConfig(endpoint, extra),
  };
}

function clientConfig(endpoint, extra = {}) {
  return { endpoint: endpointOf(endpoint), region: REGION, credentials: { ...CREDENTIALS }, ...extra };
}

/**
 * Start `cairn serve --in-memory` on 127.0.0.1 and wait until `GET /` answers 200.
 * options: bin, seed (directory), port (default: a free one), args (more flags),
 * timeoutMs (default 15000), env (extra environment for the server).
 */
async function startCairn(options = {}) {
  const bin = findBinary(options.bin);
  const seed = options.seed ? path.resolve(options.seed) : undefined;
  if (seed && !fs.existsSync(seed)) throw new CairnError(`the seed directory ${seed} does not exist`);
  const attempts = options.port ? 1 : 3;
  let lastError;
  for (let i = 0; i < attempts; i++) {
    const port = options.port || (await freePort());
    try {
      return await startOnce(bin, seed, port, options);
    } catch (err) {
      lastError = err;
      if (!err.portTaken) throw err; // retry only when another process took the port first
    }
  }
  throw lastError;
}

function startOnce(bin, seed, port, options) {
  const args = ['serve', '--in-memory', '--host', '127.0.0.1', '--port', String(port)];
  if (seed) args.push('--seed', seed);
  args.push(...(options.args || []));
  const timeoutMs = options.timeoutMs ?? 15000;
  const command = [bin, ...args].join(' ');
  const endpoint = `http://127.0.0.1:${port}`;

  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(options.env || {}) },
  });
  track(child);
  let output = '';
  const collect = (chunk) => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  let exitCode = null;
  let spawnError = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      resolve(exitCode);
    });
    child.once('error', (err) => {
      spawnError = err;
      resolve(null);
    });
  });
  let stopping = null;
  const stop = (graceMs = 5000) => {
    if (!stopping) {
      stopping = (async () => {
        if (exitCode === null && !spawnError) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        return exitCode;
      })();
    }
    return stopping;
  };

  const admin = connect(endpoint);
  const server = {
    endpoint,
    port,
    pid: child.pid,
    process: child,
    /** What the server has printed so far (the last 64 KiB). */
    output: () => output,
    /** SIGTERM, then SIGKILL after graceMs; resolves to the exit code. */
    stop,
    reset: admin.reset,
    save: admin.save,
    restore: admin.restore,
    deleteSnapshot: admin.deleteSnapshot,
    snapshots: admin.snapshots,
    clientConfig: admin.clientConfig,
  };

  return (async () => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (spawnError) {
        throw new CairnError(`could not run ${bin}: ${spawnError.message}\n${INSTALL_HINT}`);
      }
      if (exitCode !== null) {
        await sleep(20); // let the last output arrive
        const message = `cairn exited with code ${exitCode} before it was ready.\ncommand: ${command}\noutput:\n${output}`;
        throw new CairnError(message, { portTaken: /in use/i.test(output), output });
      }
      if (await isReady(endpoint)) return server;
      if (Date.now() > deadline) {
        await stop();
        throw new CairnError(
          `cairn did not answer GET ${endpoint}/ with 200 within ${timeoutMs} ms.\ncommand: ${command}\noutput:\n${output}`,
          { output }
        );
      }
      await sleep(20);
    }
  })();
}

// ---- global setups -------------------------------------------------------------------

const STATE = Symbol.for('@cairn-db/test.server');

/**
 * Start one server for a whole test run and export its endpoint as
 * process.env.CAIRN_ENDPOINT (test workers inherit it). With CAIRN_ENDPOINT already
 * set, that server is used and nothing is started. Options as startCairn(); the
 * binary also comes from CAIRN_BIN, the seed from CAIRN_SEED (read by cairn itself).
 */
async function startForRun(options = {}) {
  if (process.env.CAIRN_ENDPOINT) {
    const endpoint = endpointOf();
    if (!(await isReady(endpoint))) {
      throw new CairnError(`CAIRN_ENDPOINT=${endpoint}: no Cairn server answers GET / with 200`);
    }
    return { endpoint, started: null };
  }
  const server = await startCairn(options);
  process.env.CAIRN_ENDPOINT = server.endpoint;
  globalThis[STATE] = server;
  return { endpoint: server.endpoint, started: server };
}

async function stopForRun() {
  const server = globalThis[STATE];
  if (!server) return;
  delete globalThis[STATE];
  if (process.env.CAIRN_ENDPOINT === server.endpoint) delete process.env.CAIRN_ENDPOINT;
  await server.stop();
}

/** Jest `globalSetup` with options: `module.exports = jestGlobalSetup({ seed: 'fixtures' })`. */
function jestGlobalSetup(options = {}) {
  return async function cairnJestGlobalSetup() {
    await startForRun(options);
  };
}

/** Jest `globalTeardown`: stops the server the global setup started. */
function jestGlobalTeardown() {
  return async function cairnJestGlobalTeardown() {
    await stopForRun();
  };
}

/**
 * Vitest `globalSetup` with options: `export default vitestGlobalSetup({ seed: 'fixtures' })`.
 * Returns the teardown. Also `provide`s the endpoint as 'cairnEndpoint' (`inject('cairnEndpoint')`).
 */
function vitestGlobalSetup(options = {}) {
  return async function cairnVitestGlobalSetup(project) {
    const { endpoint } = await startForRun(options);
    if (project && typeof project.provide === 'function') project.provide('cairnEndpoint', endpoint);
    return stopForRun;
  };
}

const defaultAdmin = connect();

module.exports = {
  startCairn,
  connect,
  clientConfig: (extra) => clientConfig(undefined, extra),
  reset: (endpoint) => connect(endpoint).reset(),
  save: (name, endpoint) => connect(endpoint).save(name),
  restore: (name, endpoint) => connect(endpoint).restore(name),
  deleteSnapshot: (name, endpoint) => connect(endpoint).deleteSnapshot(name),
  snapshots: (endpoint) => connect(endpoint).snapshots(),
  endpoint: () => defaultAdmin.endpoint,
  jestGlobalSetup,
  jestGlobalTeardown,
  vitestGlobalSetup,
  findBinary,
  freePort,
  CairnError,
  REGION,
};
