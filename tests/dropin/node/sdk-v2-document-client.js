'use strict';
// AWS SDK for JavaScript v2 (`aws-sdk`): AWS.DynamoDB + AWS.DynamoDB.DocumentClient with .promise(), unchanged, against Cairn.
const AWS = require('aws-sdk');
const {
  ENDPOINT, REGION, CREDENTIALS, PAGE_SIZE, NUMBERS, USERS, PET_COUNT,
  pets, check, eq, expectError, runScenario, createTableInput, checkPetPages,
} = require('./common.cjs');

const TABLE = 'pets_sdk_v2';

const options = {
  endpoint: ENDPOINT,
  region: REGION,
  credentials: new AWS.Credentials(CREDENTIALS.accessKeyId, CREDENTIALS.secretAccessKey),
  maxRetries: 1,
};
const ddb = new AWS.DynamoDB(options);
const doc = new AWS.DynamoDB.DocumentClient({ service: ddb });
const docExact = new AWS.DynamoDB.DocumentClient({ service: ddb, wrapNumbers: true });

const WAIT = { delay: 1, maxAttempts: 30 };

const petItem = (p) => ({
  PK: `USER#${p.userId}`, SK: `PET#${p.petId}`,
  name: p.name, species: p.species, birthWeight: p.birthWeight, version: p.version,
});

async function dropIfExists() {
  try {
    await ddb.deleteTable({ TableName: TABLE }).promise();
    await ddb.waitFor('tableNotExists', { TableName: TABLE, $waiter: WAIT }).promise();
  } catch (err) {
    if (err.code !== 'ResourceNotFoundException') throw err;
  }
}

// Query every page with AWS.Request#eachPage, the v2 pagination facility.
function queryAllPages(params) {
  return new Promise((resolve, reject) => {
    const pages = [];
    doc.query(params).eachPage((err, data) => {
      if (err) { reject(err); return false; }
      if (data === null) { resolve(pages); return false; }
      pages.push(data);
      return true;
    });
  });
}

runScenario('sdk-v2-document-client', async () => {
  await dropIfExists();

  // --- create the table and wait for it with waitFor('tableExists') ---
  const created = await ddb.createTable(createTableInput(TABLE)).promise();
  eq(created.TableDescription.TableName, TABLE, 'createTable TableDescription.TableName');
  const waited = await ddb.waitFor('tableExists', { TableName: TABLE, $waiter: WAIT }).promise();
  eq(waited.Table.TableStatus, 'ACTIVE', 'TableStatus after waitFor(tableExists)');
  const gsi = (waited.Table.GlobalSecondaryIndexes || []).find((g) => g.IndexName === 'bySpecies');
  check(gsi, 'describeTable lists the GSI bySpecies');
  eq(gsi.IndexStatus, 'ACTIVE', 'GSI bySpecies IndexStatus');

  // --- users ---
  for (const u of USERS) {
    await doc.put({
      TableName: TABLE,
      Item: { PK: `USER#${u.userId}`, SK: 'PROFILE', name: u.name, email: u.email },
      ConditionExpression: 'attribute_not_exists(PK)',
    }).promise();
  }

  // --- a batch of 200 writes with batchWrite, 25 per call, retrying UnprocessedItems ---
  const all = pets();
  let calls = 0;
  for (let i = 0; i < all.length; i += 25) {
    let pending = { [TABLE]: all.slice(i, i + 25).map((p) => ({ PutRequest: { Item: petItem(p) } })) };
    for (let attempt = 0; pending && Object.keys(pending).length; attempt++) {
      check(attempt < 10, 'batchWrite kept returning UnprocessedItems');
      const out = await doc.batchWrite({ RequestItems: pending }).promise();
      calls++;
      pending = out.UnprocessedItems;
    }
  }
  check(calls >= 8, `expected at least 8 batchWrite calls, made ${calls}`);

  // --- begins_with query on one user, page size 25, every page through eachPage ---
  const byId = new Map(all.map((p) => [`PET#${p.petId}`, p]));
  const pages = await queryAllPages({
    TableName: TABLE,
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': 'USER#u1', ':prefix': 'PET#' },
    Limit: PAGE_SIZE,
  });
  const sks = [];
  for (const page of pages) {
    eq(page.Count, page.Items.length, 'page Count equals the number of Items');
    for (const it of page.Items) {
      sks.push(it.SK);
      const want = byId.get(it.SK);
      check(want, `unexpected item ${it.SK}`);
      eq([it.name, it.species, it.birthWeight, it.version], [want.name, want.species, want.birthWeight, 1],
        `attributes of ${it.SK}`);
    }
  }
  checkPetPages(pages.map((p) => p.Items.length), sks, PET_COUNT);

  // The same query by hand, following LastEvaluatedKey with .promise().
  let manual = 0;
  let lek;
  do {
    const out = await doc.query({
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': 'USER#u1', ':prefix': 'PET#' },
      Limit: PAGE_SIZE,
      ExclusiveStartKey: lek,
    }).promise();
    manual += out.Items.length;
    lek = out.LastEvaluatedKey;
    if (lek) eq(Object.keys(lek).sort(), ['PK', 'SK'], 'LastEvaluatedKey of a table query holds the table key');
  } while (lek);
  eq(manual, PET_COUNT, 'items over pages followed by LastEvaluatedKey');

  // --- GSI query by species ---
  const rabbits = await queryAllPages({
    TableName: TABLE, IndexName: 'bySpecies',
    KeyConditionExpression: 'species = :s',
    ExpressionAttributeValues: { ':s': 'rabbit' },
  });
  const rabbitItems = rabbits.flatMap((p) => p.Items);
  eq(rabbitItems.length, 50, 'rabbits found through the GSI bySpecies');
  check(rabbitItems.every((r) => r.species === 'rabbit' && typeof r.birthWeight === 'number'),
    'GSI results are rabbits with every attribute projected');

  // --- number round trips ---
  const numKey = { PK: 'USER#u2', SK: 'PET#numbers' };
  await doc.put({
    TableName: TABLE,
    Item: {
      ...numKey, name: 'Numbers', species: 'axolotl', version: 1,
      birthWeight: NUMBERS.weight, dailyFood: NUMBERS.tenth,
      chipId: NUMBERS.bigInt, debt: NUMBERS.negBigInt, delta: NUMBERS.negDecimal,
      weights: [0.1, 0.2, 3.25],
      tags: doc.createSet([1.5, 2, 0.25]),
    },
  }).promise();
  // A 38-digit number written with the low-level client, read back exactly with wrapNumbers.
  await ddb.updateItem({
    TableName: TABLE, Key: { PK: { S: numKey.PK }, SK: { S: numKey.SK } },
    UpdateExpression: 'SET serial = :n',
    ExpressionAttributeValues: { ':n': { N: NUMBERS.digits38 } },
  }).promise();
  const back = (await doc.get({ TableName: TABLE, Key: numKey, ConsistentRead: true }).promise()).Item;
  check(back, 'number item read back');
  eq([back.birthWeight, back.dailyFood, back.chipId, back.debt, back.delta],
    [NUMBERS.weight, NUMBERS.tenth, NUMBERS.bigInt, NUMBERS.negBigInt, NUMBERS.negDecimal], 'numbers read back');
  eq(back.weights, [0.1, 0.2, 3.25], 'list of decimals read back');
  eq(back.tags && back.tags.wrapperName, 'Set', 'number set read back as a DocumentClient set');
  eq([...back.tags.values].sort((a, b) => a - b), [0.25, 1.5, 2], 'number set values');
  const exact = (await docExact.get({ TableName: TABLE, Key: numKey, ConsistentRead: true }).promise()).Item;
  eq(exact.serial && exact.serial.wrapperName, 'NumberValue', 'wrapNumbers returns NumberValue');
  eq(exact.serial.toString(), NUMBERS.digits38, '38-digit number read back exactly');
  eq(exact.chipId.toString(), '9007199254740991', 'MAX_SAFE_INTEGER as text');
  const added = await docExact.update({
    TableName: TABLE, Key: numKey,
    UpdateExpression: 'SET dailyFood = dailyFood + :f ADD serial :one',
    ExpressionAttributeValues: { ':f': 0.2, ':one': 1 },
    ReturnValues: 'UPDATED_NEW',
  }).promise();
  eq(added.Attributes.dailyFood.toString(), '0.3', 'SET dailyFood = 0.1 + 0.2 (decimal arithmetic)');
  eq(added.Attributes.serial.toString(), '12345678901234567890123456789012345679', 'ADD 1 to a 38-digit number');

  // --- optimistic locking: update with ConditionExpression on version ---
  const lockKey = { PK: 'USER#u1', SK: 'PET#p001' };
  const bump = (expected, name) => doc.update({
    TableName: TABLE, Key: lockKey,
    UpdateExpression: 'SET #n = :name, version = version + :one',
    ConditionExpression: 'version = :expected',
    ExpressionAttributeNames: { '#n': 'name' },
    ExpressionAttributeValues: { ':name': name, ':one': 1, ':expected': expected },
    ReturnValues: 'ALL_NEW',
  }).promise();
  const ok = await bump(1, 'Rex');
  eq([ok.Attributes.version, ok.Attributes.name], [2, 'Rex'], 'update with the current version bumps it');
  const stale = await expectError(() => bump(1, 'Stale'), 'update with a stale version');
  eq(stale.code, 'ConditionalCheckFailedException', 'err.code of a stale-version update');
  eq(stale.name, 'ConditionalCheckFailedException', 'err.name of a stale-version update');
  eq(stale.statusCode, 400, 'HTTP status of ConditionalCheckFailedException');
  eq(stale.retryable, false, 'ConditionalCheckFailedException is not retryable');
  eq(stale.message, 'The conditional request failed', 'message of ConditionalCheckFailedException');
  const afterLock = (await doc.get({ TableName: TABLE, Key: lockKey, ConsistentRead: true }).promise()).Item;
  eq([afterLock.version, afterLock.name], [2, 'Rex'], 'the stale update changed nothing');

  // --- transaction: adopt p007 from u1 to u2 with transactWrite ---
  const adoptParams = (pet, toUser) => ({
    TransactItems: [
      { Put: {
        TableName: TABLE,
        Item: { ...petItem(pet), PK: `USER#${toUser}` },
        ConditionExpression: 'attribute_not_exists(PK)',
      } },
      { Delete: {
        TableName: TABLE, Key: { PK: 'USER#u1', SK: `PET#${pet.petId}` },
        ConditionExpression: 'version = :v',
        ExpressionAttributeValues: { ':v': 1 },
      } },
      { ConditionCheck: {
        TableName: TABLE, Key: { PK: `USER#${toUser}`, SK: 'PROFILE' },
        ConditionExpression: 'attribute_exists(PK)',
      } },
    ],
  });
  const p7 = all[6];
  await doc.transactWrite(adoptParams(p7, 'u2')).promise();
  const moved = (await doc.get({ TableName: TABLE, Key: { PK: 'USER#u2', SK: 'PET#p007' }, ConsistentRead: true }).promise()).Item;
  check(moved, 'adopted pet is under USER#u2');
  eq([moved.name, moved.species, moved.birthWeight], [p7.name, p7.species, p7.birthWeight], 'adopted pet attributes');
  const gone = (await doc.get({ TableName: TABLE, Key: { PK: 'USER#u1', SK: 'PET#p007' }, ConsistentRead: true }).promise()).Item;
  eq(gone, undefined, 'adopted pet removed from USER#u1');

  // --- a cancelled transaction: the new owner u404 has no profile ---
  // v2 does not copy CancellationReasons onto the error; read them from the response body (the documented workaround).
  const p8 = all[7];
  let reasons;
  const req = doc.transactWrite(adoptParams(p8, 'u404'));
  req.on('extractError', (resp) => {
    try { reasons = JSON.parse(resp.httpResponse.body.toString()).CancellationReasons; } catch (_) { /* asserted below */ }
  });
  const cancelled = await expectError(() => req.promise(), 'adoption by a user without a profile');
  eq(cancelled.code, 'TransactionCanceledException', 'err.code of a cancelled transaction');
  // v2 applications often read the reasons from the message, which lists them in request order.
  check(/\[None, None, ConditionalCheckFailed\]$/.test(cancelled.message),
    `TransactionCanceledException message lists the reasons, got ${JSON.stringify(cancelled.message)}`);
  check(Array.isArray(reasons), `CancellationReasons in the response body, got ${JSON.stringify(reasons)}`);
  eq(reasons.map((r) => r.Code), ['None', 'None', 'ConditionalCheckFailed'], 'CancellationReasons codes');
  const stillThere = (await doc.get({ TableName: TABLE, Key: { PK: 'USER#u1', SK: 'PET#p008' }, ConsistentRead: true }).promise()).Item;
  check(stillThere, 'a cancelled transaction leaves the pet with its owner');
  const notPut = (await doc.get({ TableName: TABLE, Key: { PK: 'USER#u404', SK: 'PET#p008' }, ConsistentRead: true }).promise()).Item;
  eq(notPut, undefined, 'a cancelled transaction puts nothing');

  // --- delete the table ---
  const deleted = await ddb.deleteTable({ TableName: TABLE }).promise();
  eq(deleted.TableDescription.TableName, TABLE, 'deleteTable TableDescription.TableName');
  await ddb.waitFor('tableNotExists', { TableName: TABLE, $waiter: WAIT }).promise();
  const missing = await expectError(() => ddb.describeTable({ TableName: TABLE }).promise(), 'describeTable after delete');
  eq(missing.code, 'ResourceNotFoundException', 'describeTable of a deleted table');
});
