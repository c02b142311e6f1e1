'use strict';
// Shared fixtures for the pet-tracking scenarios: the endpoint, the data set and
// a few assertion helpers. Every scenario writes the same data through its own
// library, so the expected answers below hold for all of them.

const ENDPOINT = process.env.CAIRN_ENDPOINT || 'http://127.0.0.1:8000';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'cairndropin', secretAccessKey: 'cairn-dropin-secret' };

const SPECIES = ['dog', 'cat', 'rabbit', 'parrot'];
const PET_COUNT = 200;
const PAGE_SIZE = 25;

// Numbers the scenarios round-trip. All are exactly representable as the
// decimal literal JS prints, and the integers are within Number.MAX_SAFE_INTEGER.
const NUMBERS = {
  weight: 3.25,
  tenth: 0.1,
  bigInt: Number.MAX_SAFE_INTEGER, // 9007199254740991
  negBigInt: -9007199254740991,
  negDecimal: -1234.5678,
  // 38 significant digits: the most DynamoDB keeps (for libraries with a NumberValue type).
  digits38: '12345678901234567890123456789012345678',
};

function petId(i) {
  return 'p' + String(i).padStart(3, '0');
}

// The 200 pets of user u1: p001..p200, species in turn, a two-decimal birth weight.
function pets() {
  const out = [];
  for (let i = 1; i <= PET_COUNT; i++) {
    out.push({
      userId: 'u1',
      petId: petId(i),
      name: 'Pet ' + i,
      species: SPECIES[i % SPECIES.length],
      birthWeight: Math.round((1 + (i % 50) * 0.25 + (i % 7) * 0.01) * 100) / 100,
      version: 1,
    });
  }
  return out;
}

const USERS = [
  { userId: 'u1', name: 'Alice', email: 'alice@example.com' },
  { userId: 'u2', name: 'Bob', email: 'bob@example.com' },
];

class ScenarioError extends Error {}

function check(cond, msg) {
  if (!cond) throw new ScenarioError(msg);
}

function eq(actual, expected, msg) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new ScenarioError(`${msg}: expected ${e}, got ${a}`);
}

// Run `fn`, which must throw; return the error so the caller can inspect it.
async function expectError(fn, msg) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new ScenarioError(`${msg}: expected an error, the call succeeded`);
}

function describeError(err) {
  if (!err) return String(err);
  const parts = [err.stack || String(err)];
  for (const k of ['name', 'code', '$fault', 'statusCode', 'CancellationReasons', 'cause']) {
    if (err[k] !== undefined) {
      let v = err[k];
      try { v = JSON.stringify(v); } catch (_) { /* keep as is */ }
      parts.push(`  ${k}: ${v}`);
    }
  }
  if (err.$metadata) parts.push('  $metadata: ' + JSON.stringify(err.$metadata));
  return parts.join('\n');
}

// Run the scenario body; print `ok <name>` on success, a clear message and exit 1 otherwise.
function runScenario(name, body) {
  Promise.resolve()
    .then(body)
    .then(() => {
      console.log(`ok ${name}`);
    })
    .catch((err) => {
      console.error(`FAIL ${name}: ${err && err.message}`);
      if (!(err instanceof ScenarioError)) console.error(describeError(err));
      process.exitCode = 1;
    });
}

// The table every scenario uses: PK/SK strings, on demand, GSI bySpecies (species, SK) ALL.
function createTableInput(tableName) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'PK', AttributeType: 'S' },
      { AttributeName: 'SK', AttributeType: 'S' },
      { AttributeName: 'species', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'bySpecies',
        KeySchema: [
          { AttributeName: 'species', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

// Assert that a paginated read of user u1's pets is complete: every pet once, SK order.
function checkPetPages(pageSizes, sks, expectedCount) {
  check(pageSizes.length >= Math.ceil(expectedCount / PAGE_SIZE),
    `expected at least ${Math.ceil(expectedCount / PAGE_SIZE)} pages, got ${pageSizes.length} (${pageSizes})`);
  for (const n of pageSizes) check(n <= PAGE_SIZE, `a page held ${n} items, more than the page size ${PAGE_SIZE}`);
  eq(sks.length, expectedCount, 'items over all pages');
  eq(new Set(sks).size, sks.length, 'distinct items over all pages (duplicates found)');
  const sorted = [...sks].sort();
  eq(sks, sorted, 'query results in ascending sort-key order');
}

module.exports = {
  ENDPOINT,
  REGION,
  CREDENTIALS,
  SPECIES,
  PET_COUNT,
  PAGE_SIZE,
  NUMBERS,
  USERS,
  petId,
  pets,
  check,
  eq,
  expectError,
  describeError,
  runScenario,
  createTableInput,
  checkPetPages,
  ScenarioError,
};
