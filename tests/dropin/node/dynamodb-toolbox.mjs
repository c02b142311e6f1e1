// DynamoDB-Toolbox v2 (Table + Entity + commands), unchanged, against Cairn.
// DynamoDB-Toolbox does not create tables, so the table is created with the SDK v3 client.
import {
  DynamoDBClient,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  Table,
  Entity,
  item,
  string,
  number,
  prefix,
  BatchWriteCommand,
  BatchPutRequest,
  executeBatchWrite,
  QueryCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  PutTransaction,
  DeleteTransaction,
  ConditionCheck,
  executeTransactWrite,
  isConditionCheckFailed,
  isTransactionCancelled,
  $add,
} from 'dynamodb-toolbox';
import common from './common.cjs';

const {
  ENDPOINT, REGION, CREDENTIALS, PAGE_SIZE, NUMBERS, USERS, PET_COUNT,
  pets, check, eq, expectError, runScenario, createTableInput, checkPetPages,
} = common;

const TABLE = 'pets_dynamodb_toolbox';

const client = new DynamoDBClient({ endpoint: ENDPOINT, region: REGION, credentials: CREDENTIALS, maxAttempts: 2 });
// Integers beyond Number.MAX_SAFE_INTEGER come back as BigInt (for `number().big()`), everything else as number.
const documentClient = DynamoDBDocumentClient.from(client, {
  unmarshallOptions: {
    wrapNumbers: (s) => (/^-?\d+$/.test(s) && !Number.isSafeInteger(Number(s)) ? BigInt(s) : Number(s)),
  },
});

const table = new Table({
  name: TABLE,
  partitionKey: { name: 'PK', type: 'string' },
  sortKey: { name: 'SK', type: 'string' },
  indexes: {
    bySpecies: {
      type: 'global',
      partitionKey: { name: 'species', type: 'string' },
      sortKey: { name: 'SK', type: 'string' },
    },
  },
  documentClient,
});

const UserEntity = new Entity({
  name: 'User',
  table,
  schema: item({
    userId: string().key().savedAs('PK').transform(prefix('USER')),
    sk: string().key().savedAs('SK').const('PROFILE'),
    name: string(),
    email: string(),
  }),
});

const PetEntity = new Entity({
  name: 'Pet',
  table,
  schema: item({
    userId: string().key().savedAs('PK').transform(prefix('USER')),
    petId: string().key().savedAs('SK').transform(prefix('PET')),
    name: string(),
    species: string(),
    birthWeight: number(),
    version: number(),
    dailyFood: number().optional(),
    chipId: number().optional(),
    debt: number().optional(),
    delta: number().optional(),
    serial: number().big().optional(),
  }),
});

async function dropIfExists() {
  try {
    await client.send(new DeleteTableCommand({ TableName: TABLE }));
    await waitUntilTableNotExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: TABLE });
  } catch (err) {
    if (err.name !== 'ResourceNotFoundException') throw err;
  }
}

const getPet = async (userId, petId) =>
  (await PetEntity.build(GetItemCommand).key({ userId, petId }).options({ consistent: true }).send()).Item;

runScenario('dynamodb-toolbox', async () => {
  await dropIfExists();

  // --- create the table (SDK v3) and wait for ACTIVE ---
  await client.send(new CreateTableCommand(createTableInput(TABLE)));
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: TABLE });
  const desc = (await client.send(new DescribeTableCommand({ TableName: TABLE }))).Table;
  eq(desc.TableStatus, 'ACTIVE', 'TableStatus');
  eq(desc.GlobalSecondaryIndexes && desc.GlobalSecondaryIndexes[0].IndexStatus, 'ACTIVE', 'GSI bySpecies IndexStatus');

  // --- users, through the entity ---
  for (const u of USERS) {
    await UserEntity.build(PutItemCommand)
      .item({ userId: u.userId, name: u.name, email: u.email })
      .options({ condition: { attr: 'userId', exists: false } })
      .send();
  }

  // --- a batch of 200 writes: BatchWriteCommand + BatchPutRequest, run with execute (25 per call) ---
  const all = pets();
  for (let i = 0; i < all.length; i += 25) {
    const command = table.build(BatchWriteCommand)
      .requests(...all.slice(i, i + 25).map((p) => PetEntity.build(BatchPutRequest).item(p)));
    const out = await executeBatchWrite({ maxAttempts: 10 }, command);
    eq(Object.keys(out.UnprocessedItems || {}).length, 0, `UnprocessedItems after batch ${i / 25 + 1}`);
  }

  // --- begins_with query on one user, page size 25, QueryCommand#paginate ---
  const byId = new Map(all.map((p) => [p.petId, p]));
  const pageSizes = [];
  const sks = [];
  const query = table.build(QueryCommand)
    .entities(PetEntity)
    .query({ partition: 'USER#u1', range: { beginsWith: 'PET#' } })
    .options({ limit: PAGE_SIZE, consistent: true });
  for await (const page of query.paginate()) {
    pageSizes.push(page.Items.length);
    for (const pet of page.Items) {
      sks.push(`PET#${pet.petId}`);
      const want = byId.get(pet.petId);
      check(want, `unexpected pet ${pet.petId}`);
      eq([pet.userId, pet.name, pet.species, pet.birthWeight, pet.version],
        ['u1', want.name, want.species, want.birthWeight, 1], `formatted attributes of ${pet.petId}`);
    }
  }
  checkPetPages(pageSizes, sks, PET_COUNT);

  // The same query by hand: limit + exclusiveStartKey, following LastEvaluatedKey.
  let manual = 0;
  let lek;
  do {
    const page = await query.options({ limit: PAGE_SIZE, exclusiveStartKey: lek }).send();
    manual += page.Items.length;
    lek = page.LastEvaluatedKey;
  } while (lek);
  eq(manual, PET_COUNT, 'pets over pages followed by exclusiveStartKey');

  // --- GSI query by species, every page (maxPages: Infinity) ---
  const parrots = await table.build(QueryCommand)
    .entities(PetEntity)
    .query({ index: 'bySpecies', partition: 'parrot' })
    .options({ maxPages: Infinity })
    .send();
  eq(parrots.Items.length, 50, 'parrots found through the GSI bySpecies');
  eq(parrots.Count, 50, 'Count summed over the GSI pages');
  check(parrots.Items.every((p) => p.species === 'parrot' && p.userId === 'u1'), 'every GSI result is one of u1\'s parrots');

  // --- number round trips ---
  const serial = BigInt(NUMBERS.digits38);
  await PetEntity.build(PutItemCommand).item({
    userId: 'u2', petId: 'numbers', name: 'Numbers', species: 'axolotl', version: 1,
    birthWeight: NUMBERS.weight, dailyFood: NUMBERS.tenth,
    chipId: NUMBERS.bigInt, debt: NUMBERS.negBigInt, delta: NUMBERS.negDecimal, serial,
  }).send();
  const nums = await getPet('u2', 'numbers');
  check(nums, 'number item read back');
  eq([nums.birthWeight, nums.dailyFood, nums.chipId, nums.debt, nums.delta],
    [NUMBERS.weight, NUMBERS.tenth, NUMBERS.bigInt, NUMBERS.negBigInt, NUMBERS.negDecimal], 'numbers read back');
  eq(typeof nums.serial, 'bigint', 'a 38-digit number comes back as BigInt');
  eq(nums.serial.toString(), NUMBERS.digits38, '38-digit number read back exactly');
  const added = await PetEntity.build(UpdateItemCommand)
    .item({ userId: 'u2', petId: 'numbers', dailyFood: $add(0.2), serial: $add(1n) })
    .options({ returnValues: 'UPDATED_NEW' })
    .send();
  eq(added.Attributes.dailyFood, 0.3, 'ADD 0.2 to 0.1 (decimal arithmetic)');
  eq(added.Attributes.serial.toString(), '12345678901234567890123456789012345679', 'ADD 1 to a 38-digit number');

  // --- optimistic locking: an entity-level condition on version ---
  const bump = (expected, name) => PetEntity.build(UpdateItemCommand)
    .item({ userId: 'u1', petId: 'p001', name, version: $add(1) })
    .options({
      condition: { attr: 'version', eq: expected },
      returnValues: 'ALL_NEW',
      returnValuesOnConditionFalse: 'ALL_OLD',
    })
    .send();
  const ok = await bump(1, 'Rex');
  eq([ok.Attributes.version, ok.Attributes.name], [2, 'Rex'], 'update with the current version bumps it');
  const stale = await expectError(() => bump(1, 'Stale'), 'update with a stale version');
  eq(stale.name, 'ConditionalCheckFailedException', 'error name of a stale-version update');
  check(isConditionCheckFailed(stale, PetEntity), 'isConditionCheckFailed recognises the error');
  check(stale.FormattedItem && stale.FormattedItem.version === 2 && stale.FormattedItem.name === 'Rex',
    `the error's FormattedItem is the current pet, got ${JSON.stringify(stale.FormattedItem)}`);
  const afterLock = await getPet('u1', 'p001');
  eq([afterLock.version, afterLock.name], [2, 'Rex'], 'the stale update changed nothing');

  // --- transaction: adopt p007 from u1 to u2 ---
  const adoption = (pet, toUser) => [
    PetEntity.build(PutTransaction)
      .item({ ...pet, userId: toUser })
      .options({ condition: { attr: 'userId', exists: false } }),
    PetEntity.build(DeleteTransaction)
      .key({ userId: 'u1', petId: pet.petId })
      .options({ condition: { attr: 'version', eq: 1 } }),
    UserEntity.build(ConditionCheck)
      .key({ userId: toUser })
      .condition({ attr: 'userId', exists: true }),
  ];
  const p7 = all[6];
  await executeTransactWrite(...adoption(p7, 'u2'));
  const moved = await getPet('u2', 'p007');
  check(moved, 'adopted pet is under u2');
  eq([moved.name, moved.species, moved.birthWeight], [p7.name, p7.species, p7.birthWeight], 'adopted pet attributes');
  eq(await getPet('u1', 'p007'), undefined, 'adopted pet removed from u1');

  // --- a cancelled transaction: the new owner u404 has no profile ---
  const p8 = all[7];
  const failing = adoption(p8, 'u404');
  const cancelled = await expectError(() => executeTransactWrite(...failing), 'adoption by a user without a profile');
  eq(cancelled.name, 'TransactionCanceledException', 'error name of a cancelled transaction');
  check(isTransactionCancelled(cancelled, ...failing), 'isTransactionCancelled recognises the error');
  check(Array.isArray(cancelled.CancellationReasons), `CancellationReasons exposed, got ${JSON.stringify(cancelled.CancellationReasons)}`);
  eq(cancelled.CancellationReasons.map((r) => r.Code), ['None', 'None', 'ConditionalCheckFailed'], 'CancellationReasons codes');
  check(await getPet('u1', 'p008'), 'a cancelled transaction leaves the pet with its owner');
  eq(await getPet('u404', 'p008'), undefined, 'a cancelled transaction puts nothing');

  // --- delete the table ---
  await client.send(new DeleteTableCommand({ TableName: TABLE }));
  await waitUntilTableNotExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: TABLE });
  const missing = await expectError(() => client.send(new DescribeTableCommand({ TableName: TABLE })), 'DescribeTable after delete');
  eq(missing.name, 'ResourceNotFoundException', 'DescribeTable of a deleted table');
});
