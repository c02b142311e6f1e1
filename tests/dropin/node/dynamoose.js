'use strict';
// Dynamoose v4 (Schema + Model + Table, Condition, transaction), unchanged, against Cairn.
const dynamoose = require('dynamoose');
const { DynamoDB } = require('@aws-sdk/client-dynamodb');
const {
  ENDPOINT, REGION, CREDENTIALS, PAGE_SIZE, NUMBERS, USERS, PET_COUNT,
  pets, check, eq, expectError, runScenario, checkPetPages,
} = require('./common.cjs');

const TABLE = 'pets_dynamoose';

// The documented way to point Dynamoose at an endpoint: hand it a configured DynamoDB client.
const ddb = new DynamoDB({ endpoint: ENDPOINT, region: REGION, credentials: CREDENTIALS, maxAttempts: 2 });
dynamoose.aws.ddb.set(ddb);

const User = dynamoose.model('User', new dynamoose.Schema({
  PK: { type: String, hashKey: true },
  SK: { type: String, rangeKey: true },
  name: { type: String, required: true },
  email: { type: String, required: true },
}));

const Pet = dynamoose.model('Pet', new dynamoose.Schema({
  PK: { type: String, hashKey: true },
  SK: { type: String, rangeKey: true },
  name: { type: String, required: true },
  species: {
    type: String,
    required: true,
    index: { name: 'bySpecies', type: 'global', rangeKey: 'SK', project: true },
  },
  birthWeight: { type: Number, required: true },
  version: { type: Number, required: true },
  dailyFood: Number,
  chipId: Number,
  debt: Number,
  delta: Number,
}));

// One table for both models (single-table design), created by Dynamoose on demand.
const table = new dynamoose.Table(TABLE, [User, Pet], {
  create: true,
  throughput: 'ON_DEMAND',
  waitForActive: { enabled: true, check: { timeout: 30000, frequency: 200 } },
  initialize: false,
});

const petKey = (userId, petId) => ({ PK: `USER#${userId}`, SK: `PET#${petId}` });
const petItem = (p) => ({
  ...petKey(p.userId, p.petId), name: p.name, species: p.species, birthWeight: p.birthWeight, version: p.version,
});

async function dropIfExists() {
  try {
    await ddb.deleteTable({ TableName: TABLE });
    for (let i = 0; i < 60; i++) {
      await ddb.describeTable({ TableName: TABLE });
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (err) {
    if (err.name !== 'ResourceNotFoundException') throw err;
  }
}

const getPet = async (userId, petId) => Pet.get(petKey(userId, petId), { consistent: true });

runScenario('dynamoose', async () => {
  await dropIfExists();

  // --- Dynamoose creates the table (describe, create, wait for ACTIVE) ---
  await table.initialize();
  const desc = (await ddb.describeTable({ TableName: TABLE })).Table;
  eq(desc.TableStatus, 'ACTIVE', 'TableStatus after table.initialize()');
  eq(desc.BillingModeSummary && desc.BillingModeSummary.BillingMode, 'PAY_PER_REQUEST', 'ON_DEMAND billing mode');
  eq(desc.KeySchema.map((k) => `${k.AttributeName}:${k.KeyType}`), ['PK:HASH', 'SK:RANGE'], 'table key schema');
  const gsi = (desc.GlobalSecondaryIndexes || []).find((g) => g.IndexName === 'bySpecies');
  check(gsi, 'Dynamoose created the GSI bySpecies');
  eq(gsi.KeySchema.map((k) => `${k.AttributeName}:${k.KeyType}`), ['species:HASH', 'SK:RANGE'], 'GSI key schema');
  eq([gsi.IndexStatus, gsi.Projection.ProjectionType], ['ACTIVE', 'ALL'], 'GSI status and projection');

  // --- users ---
  for (const u of USERS) {
    await User.create({ PK: `USER#${u.userId}`, SK: 'PROFILE', name: u.name, email: u.email });
  }

  // --- a batch of 200 writes with Model.batchPut (25 per call, retrying unprocessed items) ---
  const all = pets();
  for (let i = 0; i < all.length; i += 25) {
    let pending = all.slice(i, i + 25).map(petItem);
    for (let attempt = 0; pending.length; attempt++) {
      check(attempt < 10, 'batchPut kept returning unprocessed items');
      const out = await Pet.batchPut(pending);
      pending = out.unprocessedItems;
    }
  }

  // --- begins_with query on one user: .beginsWith() + .limit(25), paged with .startAt(lastKey) ---
  const byId = new Map(all.map((p) => [`PET#${p.petId}`, p]));
  const pageSizes = [];
  const sks = [];
  let lastKey;
  do {
    let q = Pet.query('PK').eq('USER#u1').where('SK').beginsWith('PET#').limit(PAGE_SIZE).consistent();
    if (lastKey) q = q.startAt(lastKey);
    const page = await q.exec();
    pageSizes.push(page.length);
    eq(page.count, page.length, 'page count equals the number of items');
    for (const pet of page) {
      sks.push(pet.SK);
      const want = byId.get(pet.SK);
      check(want, `unexpected pet ${pet.SK}`);
      eq([pet.name, pet.species, pet.birthWeight, pet.version], [want.name, want.species, want.birthWeight, 1],
        `attributes of ${pet.SK}`);
    }
    lastKey = page.lastKey;
  } while (lastKey);
  checkPetPages(pageSizes, sks, PET_COUNT);

  // --- GSI query by species ---
  const dogs = await Pet.query('species').eq('dog').using('bySpecies').all().exec();
  eq(dogs.length, 50, 'dogs found through the GSI bySpecies');
  check(dogs.every((d) => d.species === 'dog' && d.PK === 'USER#u1'), 'every GSI result is one of u1\'s dogs');
  const dogCount = await Pet.query('species').eq('dog').using('bySpecies').count().all().exec();
  eq(dogCount.count, 50, 'count() of dogs on the GSI');

  // --- number round trips (Dynamoose numbers are JS numbers) ---
  await Pet.create({
    ...petKey('u2', 'numbers'), name: 'Numbers', species: 'axolotl', version: 1,
    birthWeight: NUMBERS.weight, dailyFood: NUMBERS.tenth,
    chipId: NUMBERS.bigInt, debt: NUMBERS.negBigInt, delta: NUMBERS.negDecimal,
  });
  const nums = await getPet('u2', 'numbers');
  check(nums, 'number item read back');
  eq([nums.birthWeight, nums.dailyFood, nums.chipId, nums.debt, nums.delta],
    [NUMBERS.weight, NUMBERS.tenth, NUMBERS.bigInt, NUMBERS.negBigInt, NUMBERS.negDecimal], 'numbers read back');
  const added = await Pet.update(petKey('u2', 'numbers'), { $ADD: { dailyFood: 0.2 } });
  eq(added.dailyFood, 0.3, 'ADD 0.2 to 0.1 (decimal arithmetic)');

  // --- optimistic locking: a conditional update through dynamoose.Condition ---
  const bump = (expected, name) => Pet.update(
    petKey('u1', 'p001'),
    { $SET: { name }, $ADD: { version: 1 } },
    { condition: new dynamoose.Condition('version').eq(expected), return: 'item' },
  );
  const ok = await bump(1, 'Rex');
  eq([ok.version, ok.name], [2, 'Rex'], 'update with the current version bumps it');
  const stale = await expectError(() => bump(1, 'Stale'), 'update with a stale version');
  eq(stale.name, 'ConditionalCheckFailedException', 'error name of a stale-version update');
  const afterLock = await getPet('u1', 'p001');
  eq([afterLock.version, afterLock.name], [2, 'Rex'], 'the stale update changed nothing');

  // --- transaction: adopt p007 from u1 to u2 with dynamoose.transaction ---
  const adoption = (pet, toUser) => [
    Pet.transaction.create({ ...petItem(pet), PK: `USER#${toUser}` }), // Put with attribute_not_exists (overwrite: false)
    Pet.transaction.delete(petKey('u1', pet.petId), { condition: new dynamoose.Condition('version').eq(1) }),
    User.transaction.condition({ PK: `USER#${toUser}`, SK: 'PROFILE' }, new dynamoose.Condition().attribute('PK').exists()),
  ];
  const p7 = all[6];
  await dynamoose.transaction(adoption(p7, 'u2'));
  const moved = await getPet('u2', 'p007');
  check(moved, 'adopted pet is under USER#u2');
  eq([moved.name, moved.species, moved.birthWeight], [p7.name, p7.species, p7.birthWeight], 'adopted pet attributes');
  eq(await getPet('u1', 'p007'), undefined, 'adopted pet removed from USER#u1');

  // --- a cancelled transaction: the new owner u404 has no profile ---
  const p8 = all[7];
  const cancelled = await expectError(() => dynamoose.transaction(adoption(p8, 'u404')), 'adoption by a user without a profile');
  eq(cancelled.name, 'TransactionCanceledException', 'error name of a cancelled transaction');
  check(Array.isArray(cancelled.CancellationReasons), `CancellationReasons exposed, got ${JSON.stringify(cancelled.CancellationReasons)}`);
  eq(cancelled.CancellationReasons.map((r) => r.Code), ['None', 'None', 'ConditionalCheckFailed'], 'CancellationReasons codes');
  check(await getPet('u1', 'p008'), 'a cancelled transaction leaves the pet with its owner');
  eq(await getPet('u404', 'p008'), undefined, 'a cancelled transaction puts nothing');

  // --- delete the table (Dynamoose has no delete-table call; use the client it was given) ---
  await ddb.deleteTable({ TableName: TABLE });
  let gone = false;
  for (let i = 0; i < 60 && !gone; i++) {
    try {
      await ddb.describeTable({ TableName: TABLE });
      await new Promise((r) => setTimeout(r, 500));
    } catch (err) {
      eq(err.name, 'ResourceNotFoundException', 'DescribeTable of a deleted table');
      gone = true;
    }
  }
  check(gone, 'the table is gone after DeleteTable');
});
