// Talking to Cairn: the DynamoDB and DynamoDB Streams JSON APIs on this origin,
// every request signed with the signed-in key; and Cairn's own read-only
// endpoints for the charts and the cost report.

import { sign } from './sigv4.js';

const STORAGE_KEY = 'cairn.console.credentials';

/** An error answered by the API (code is the part of __type after '#'). */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

let credentials = null;
let clockOffsetMs = 0;

/** The signed-in credentials ({accessKeyId, secretAccessKey, sessionToken, region}), or null. */
export function getCredentials() {
  if (credentials) return credentials;
  try {
    const saved = window.sessionStorage.getItem(STORAGE_KEY);
    credentials = saved ? JSON.parse(saved) : null;
  } catch {
    credentials = null;
  }
  return credentials;
}

export function setCredentials(c) {
  credentials = c;
  if (c) window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(c));
  else window.sessionStorage.removeItem(STORAGE_KEY);
}

export function region() {
  const c = getCredentials();
  return (c && c.region) || 'us-east-1';
}

const RETRYABLE = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);

async function send(target, payload) {
  const c = getCredentials();
  if (!c) throw new ApiError('NotSignedIn', 'Sign in first.');
  const body = JSON.stringify(payload);
  const headers = { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': target };
  const signed = sign({
    method: 'POST',
    host: window.location.host,
    path: '/',
    headers,
    body,
    credentials: c,
    region: c.region || 'us-east-1',
    service: 'dynamodb',
    date: new Date(Date.now() + clockOffsetMs),
  });
  let response;
  try {
    response = await fetch('/', {
      method: 'POST',
      headers: { ...headers, ...signed },
      body,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError('NetworkError', `Could not reach the server (${e.message}).`, 0);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = null;
  }
  if (response.ok && json) return { json, response };
  if (json && (json.__type || json.message || json.Message)) {
    const type = String(json.__type || 'Error');
    const code = type.includes('#') ? type.slice(type.lastIndexOf('#') + 1) : type;
    const error = new ApiError(code, json.message || json.Message || '', response.status);
    error.response = response;
    error.body = json;
    throw error;
  }
  throw new ApiError(`HTTP${response.status}`, `The server answered HTTP ${response.status}${text ? ': ' + text.slice(0, 200) : ''}`, response.status);
}

function skewed(error) {
  return (
    (error.code === 'InvalidSignatureException' || error.code === 'SignatureDoesNotMatch') &&
    /expired|not yet current|skew/i.test(error.message)
  );
}

async function callTarget(target, payload) {
  for (let attempt = 0; ; attempt++) {
    try {
      const { json } = await send(target, payload);
      return json;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // A signature refused for its date: correct for the server's clock (as the SDKs do), once.
      if (attempt === 0 && skewed(error) && error.response) {
        const serverDate = Date.parse(error.response.headers.get('Date') || '');
        if (!Number.isNaN(serverDate)) {
          clockOffsetMs = serverDate - Date.now();
          continue;
        }
      }
      if (RETRYABLE.has(error.code) && attempt < 3) {
        await new Promise((r) => window.setTimeout(r, 50 * 2 ** attempt + Math.random() * 50));
        continue;
      }
      throw error;
    }
  }
}

/** Calls a DynamoDB operation (e.g. 'ListTables') with a request object; resolves to the response. */
export function ddb(operation, payload = {}) {
  return callTarget(`DynamoDB_20120810.${operation}`, payload);
}

/** Calls a DynamoDB Streams operation (e.g. 'GetRecords') on the same endpoint. */
export function streams(operation, payload = {}) {
  return callTarget(`DynamoDBStreams_20120810.${operation}`, payload);
}

/**
 * GETs one of Cairn's JSON endpoints (/_cairn/...). Resolves to {status, json};
 * 404 (as a server with --auth sigv4 answers) is returned, not thrown.
 */
export async function cairnGet(path) {
  let response;
  try {
    response = await fetch(path, { method: 'GET', credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    throw new ApiError('NetworkError', `Could not reach the server (${e.message}).`, 0);
  }
  if (response.status === 404) return { status: 404, json: null };
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(`HTTP${response.status}`, `Unexpected answer from ${path}: ${text.slice(0, 200)}`, response.status);
  }
  if (!response.ok) {
    throw new ApiError(`HTTP${response.status}`, json.message || json.error || `HTTP ${response.status}`, response.status);
  }
  return { status: response.status, json };
}

/** DescribeTable's Table, or null when the table does not exist. */
export async function describeTable(name) {
  try {
    return (await ddb('DescribeTable', { TableName: name })).Table;
  } catch (e) {
    if (e.code === 'ResourceNotFoundException') return null;
    throw e;
  }
}

/** Every table name (ListTables, paged). */
export async function allTableNames() {
  const names = [];
  let start;
  do {
    const out = await ddb('ListTables', start ? { ExclusiveStartTableName: start, Limit: 100 } : { Limit: 100 });
    names.push(...(out.TableNames || []));
    start = out.LastEvaluatedTableName;
  } while (start);
  return names;
}

/**
 * Writes requests ({PutRequest} / {DeleteRequest}) to a table with BatchWriteItem,
 * 25 per call, retrying UnprocessedItems with exponential backoff.
 * onProgress(doneCount) after each call. Resolves to the number written.
 */
export async function batchWrite(table, requests, onProgress, shouldStop = () => false) {
  let done = 0;
  for (let i = 0; i < requests.length; i += 25) {
    if (shouldStop()) break;
    let pending = requests.slice(i, i + 25);
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt > 0) {
        if (attempt > 10) {
          throw new ApiError('UnprocessedItems', `${pending.length} items were still unprocessed after ${attempt} tries; ${done} written.`);
        }
        await new Promise((r) => window.setTimeout(r, Math.min(3200, 50 * 2 ** attempt) + Math.random() * 50));
      }
      const out = await ddb('BatchWriteItem', { RequestItems: { [table]: pending } });
      const left = (out.UnprocessedItems && out.UnprocessedItems[table]) || [];
      done += pending.length - left.length;
      pending = left;
      if (onProgress) onProgress(done);
    }
  }
  return done;
}
