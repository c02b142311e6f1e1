// AWS SDK for JavaScript v3: @aws-sdk/client-dynamodb + @aws-sdk/lib-dynamodb, unchanged, against Cairn.
import {
  DynamoDBClient,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  TransactWriteCommand,
  paginateQuery,
  NumberValue,
} from '@aws-sdk/lib-dynamodb';
import common from './common.cjs';

const {
  ENDPOINT, REGION, CREDENTIALS, PAGE_SIZE, NUMBERS, USERS, PET_COUNT,
  pets, check, eq, expectError, runScenario, createTableInput, checkPetPages,
} = common;

const TABLE = 'pets_sdk_v3';

const client = new DynamoDBClient({ endpoint: ENDPOINT, region: REGION, credentials: CREDENTIALS, maxAttempts: 2 });
const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
// A second document client that reads numbers as NumberValue (strings), for the 38-digit round trip.
// It needs its own DynamoDBClient: DynamoDBDocumentClient.from() stores its options on the wrapped
// client's config, so two document clients over one DynamoDBClient would share the last options.
const docExact = DynamoDBDocumentClient.from(
  new DynamoDBClient({ endpoint: ENDPOINT, region: REGION, credentials: CREDENTIALS, maxAttempts: 2 }),
  { unmarshallOptions: { wrapNumbers: true } },
);

const petItem = (p) => ({
  PK: `USER#${p.userId}`, SK: `PET#${p.petId}`,
  name: p.name, species: p.species, birthWeight: p.birthWeight, version: p.version,
});

async function dropIfExists() {
  try {
    await client.send(new DeleteTableCommand({ TableName: TABLE }));
    await waitUntilTableNotExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: TABLE });
  } catch (err) {
    if (err.name !== 'ResourceNotFoundException') throw err;
  }
}

runScenario('sdk-v3', async () => {
  await dropIfExists();

  // --- create the table and wait for ACTIVE ---
  const created = await client.send(new CreateTableCommand(createTableInput(TABLE)));
  eq(created.TableDescription.TableName, TABLE, 'CreateTable TableDescription.TableName');
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: TABLE });
  const desc = (await client.send(new DescribeTableCommand({ TableName: TABLE }))).Table;
  eq(desc.TableStatus, 'ACTIVE', 'TableStatus after waitUntilTableExists');
  eq(desc.BillingModeSummary && desc.BillingModeSummary.BillingMode, 'PAY_PER_REQUEST', 'BillingModeSummary.BillingMode');
  const gsi = (desc.GlobalSecondaryIndexes || []).find((g) => g.IndexName === 'bySpecies');
  check(gsi, 'DescribeTable lists the GSI bySpecies');
  eq(gsi.IndexStatus, 'ACTIVE', 'GSI bySpecies IndexStatus');
  eq(gsi.Projection.ProjectionType, 'ALL', 'GSI bySpecies projection');

  // --- users ---
  for (const u of USERS) {
    await doc.send(new PutCommand({
      TableName: TABLE,
      Item: { PK: `USER#${u.userId}`, SK: 'PROFILE', name: u.name, email: u.email },
      ConditionExpression: 'attribute_not_exists(PK)',
    }));
  }

  // --- a batch of 200 writes, 25 per BatchWriteItem, retrying UnprocessedItems ---
  const all = pets();
  let requests = 0;
  for (let i = 0; i < all.length; i += 25) {
    let pending = { [TABLE]: all.slice(i, i + 25).map((p) => ({ PutRequest: { Item: petItem(p) } })) };
    for (let attempt = 0; pending && Object.keys(pending).length; attempt++) {
      check(attempt < 10, 'BatchWrite kept returning UnprocessedItems');
      const out = await doc.send(new BatchWriteCommand({ RequestItems: pending }));
      requests++;
      pending = out.UnprocessedItems;
    }
  }
  check(requests >= 8, `expected at least 8 BatchWriteItem calls, made ${requests}`);

  // --- begins_with query on one user, paginated with paginateQuery, page size 25 ---
  const pageSizes = [];
  const sks = [];
  const byId = new Map(all.map((p) => [`PET#${p.petId}`, p]));
  for await (const page of paginateQuery({ client: doc, pageSize: PAGE_SIZE }, {
    TableName: TABLE,
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': 'USER#u1', ':prefix': 'PET#' },
  })) {
    pageSizes.push(page.Items.length);
    eq(page.Count, page.Items.length, 'page Count equals the number of Items');
    for (const it of page.Items) {
      sks.push(it.SK);
      const want = byId.get(it.SK);
      check(want, `unexpected item ${it.SK}`);
      eq([it.name, it.species, it.birthWeight, it.version], [want.name, want.species, want.birthWeight, 1],
        `attributes of ${it.SK}`);
    }
  }
  checkPetPages(pageSizes, sks, PET_COUNT);

  // --- GSI query by species ---
  const cats = [];
  let lek;
  do {
    const out = await doc.send(new QueryCommand({
      TableName: TABLE, IndexName: 'bySpecies',
      KeyConditionExpression: 'species = :s',
      ExpressionAttributeValues: { ':s': 'cat' },
      ExclusiveStartKey: lek,
    }));
    cats.push(...out.Items);
    lek = out.LastEvaluatedKey;
  } while (lek);
  eq(cats.length, 50, 'cats found through the GSI bySpecies');
  check(cats.every((c) => c.species === 'cat' && c.PK === 'USER#u1'), 'every GSI result is one of u1\'s cats');
  const dogCount = await doc.send(new QueryCommand({
    TableName: TABLE, IndexName: 'bySpecies', Select: 'COUNT',
    KeyConditionExpression: 'species = :s AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':s': 'dog', ':prefix': 'PET#' },
  }));
  eq(dogCount.Count, 50, 'Select COUNT of dogs on the GSI');
  eq(dogCount.Items, undefined, 'Select COUNT returns no Items');

  // --- number round trips ---
  const numKey = { PK: 'USER#u2', SK: 'PET#numbers' };
  await doc.send(new PutCommand({
    TableName: TABLE,
    Item: {
      ...numKey, name: 'Numbers', species: 'axolotl', version: 1,
      birthWeight: NUMBERS.weight, dailyFood: NUMBERS.tenth,
      chipId: NUMBERS.bigInt, debt: NUMBERS.negBigInt, delta: NUMBERS.negDecimal,
      serial: NumberValue.from(NUMBERS.digits38),
      weights: [0.1, 0.2, 3.25],
      tags: new Set([1.5, 2, 0.25]),
    },
  }));
  const back = (await doc.send(new GetCommand({ TableName: TABLE, Key: numKey, ConsistentRead: true }))).Item;
  check(back, 'number item read back');
  eq([back.birthWeight, back.dailyFood, back.chipId, back.debt, back.delta],
    [NUMBERS.weight, NUMBERS.tenth, NUMBERS.bigInt, NUMBERS.negBigInt, NUMBERS.negDecimal], 'numbers read back');
  eq(back.weights, [0.1, 0.2, 3.25], 'list of decimals read back');
  check(back.tags instanceof Set && back.tags.size === 3 && back.tags.has(1.5) && back.tags.has(2) && back.tags.has(0.25),
    `number set read back: ${[...(back.tags || [])]}`);
  const exact = (await docExact.send(new GetCommand({ TableName: TABLE, Key: numKey, ConsistentRead: true }))).Item;
  check(exact.serial instanceof NumberValue, 'wrapNumbers returns NumberValue');
  eq(exact.serial.toString(), NUMBERS.digits38, '38-digit number read back exactly');
  eq(exact.chipId.toString(), '9007199254740991', 'MAX_SAFE_INTEGER as text');
  eq(exact.birthWeight.toString(), '3.25', '3.25 as text');
  // DynamoDB arithmetic is decimal: 0.1 + 0.2 is exactly 0.3, and 38 digits stay exact.
  const added = await docExact.send(new UpdateCommand({
    TableName: TABLE, Key: numKey,
    UpdateExpression: 'SET dailyFood = dailyFood + :f ADD serial :one',
    ExpressionAttributeValues: { ':f': 0.2, ':one': 1 },
    ReturnValues: 'UPDATED_NEW',
  }));
  eq(added.Attributes.dailyFood.toString(), '0.3', 'SET dailyFood = 0.1 + 0.2 (decimal arithmetic)');
  eq(added.Attributes.serial.toString(), '12345678901234567890123456789012345679', 'ADD 1 to a 38-digit number');

  // --- optimistic locking on version ---
  const lockKey = { PK: 'USER#u1', SK: 'PET#p001' };
  const bump = (expected, name) => new UpdateCommand({
    TableName: TABLE, Key: lockKey,
    UpdateExpression: 'SET #n = :name, version = version + :one',
    ConditionExpression: 'version = :expected',
    ExpressionAttributeNames: { '#n': 'name' },
    ExpressionAttributeValues: { ':name': name, ':one': 1, ':expected': expected },
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
  const ok = await doc.send(bump(1, 'Rex'));
  eq([ok.Attributes.version, ok.Attributes.name], [2, 'Rex'], 'update with the current version bumps it');
  const stale = await expectError(() => doc.send(bump(1, 'Stale')), 'update with a stale version');
  eq(stale.name, 'ConditionalCheckFailedException', 'error name of a stale-version update');
  eq(stale.$metadata && stale.$metadata.httpStatusCode, 400, 'HTTP status of ConditionalCheckFailedException');
  eq(stale.message, 'The conditional request failed', 'message of ConditionalCheckFailedException');
  // ReturnValuesOnConditionCheckFailure=ALL_OLD: the error carries the current item (raw attribute values).
  check(stale.Item && stale.Item.version && stale.Item.version.N === '2',
    `ConditionalCheckFailedException.Item carries the current item, got ${JSON.stringify(stale.Item)}`);
  const afterLock = (await doc.send(new GetCommand({ TableName: TABLE, Key: lockKey, ConsistentRead: true }))).Item;
  eq([afterLock.version, afterLock.name], [2, 'Rex'], 'the stale update changed nothing');

  // --- transaction: adopt p007 from u1 to u2 ---
  const adopt = (pet, toUser) => new TransactWriteCommand({
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
  await doc.send(adopt(p7, 'u2'));
  const moved = (await doc.send(new GetCommand({ TableName: TABLE, Key: { PK: 'USER#u2', SK: 'PET#p007' }, ConsistentRead: true }))).Item;
  check(moved, 'adopted pet is under USER#u2');
  eq([moved.name, moved.species, moved.birthWeight], [p7.name, p7.species, p7.birthWeight], 'adopted pet attributes');
  const gone = (await doc.send(new GetCommand({ TableName: TABLE, Key: { PK: 'USER#u1', SK: 'PET#p007' }, ConsistentRead: true }))).Item;
  eq(gone, undefined, 'adopted pet removed from USER#u1');

  // --- a cancelled transaction: the new owner u404 has no profile ---
  const p8 = all[7];
  const cancelled = await expectError(() => doc.send(adopt(p8, 'u404')), 'adoption by a user without a profile');
  eq(cancelled.name, 'TransactionCanceledException', 'error name of a cancelled transaction');
  check(Array.isArray(cancelled.CancellationReasons), `CancellationReasons exposed, got ${JSON.stringify(cancelled.CancellationReasons)}`);
  eq(cancelled.CancellationReasons.map((r) => r.Code), ['None', 'None', 'ConditionalCheckFailed'], 'CancellationReasons codes');
  check(/\[None, None, ConditionalCheckFailed\]$/.test(cancelled.message),
    `TransactionCanceledException message lists the reasons, got ${JSON.stringify(cancelled.message)}`);
  const stillThere = (await doc.send(new GetCommand({ TableName: TABLE, Key: { PK: 'USER#u1', SK: 'PET#p008' }, ConsistentRead: true }))).Item;
  check(stillThere, 'a cancelled transaction leaves the pet with its owner');
  const notPut = (await doc.send(new GetCommand({ TableName: TABLE, Key: { PK: 'USER#u404', SK: 'PET#p008' }, ConsistentRead: true }))).Item;
  eq(notPut, undefined, 'a cancelled transaction puts nothing');

  // --- delete the table ---
  const deleted = await client.send(new DeleteTableCommand({ TableName: TABLE }));
  eq(deleted.TableDescription.TableName, TABLE, 'DeleteTable TableDescription.TableName');
  await waitUntilTableNotExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: TABLE });
  const missing = await expectError(() => client.send(new DescribeTableCommand({ TableName: TABLE })), 'DescribeTable after delete');
  eq(missing.name, 'ResourceNotFoundException', 'DescribeTable of a deleted table');
});
