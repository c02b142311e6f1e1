// ElectroDB v3 (Entity + Service with an `owner` collection), unchanged, against Cairn.
// ElectroDB does not create tables, so the table is created with the SDK v3 client.
import {
  DynamoDBClient,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { Entity, Service, ElectroError } from 'electrodb';
import common from './common.cjs';

const {
  ENDPOINT, REGION, CREDENTIALS, PAGE_SIZE, NUMBERS, USERS, PET_COUNT,
  pets, check, eq, expectError, runScenario, createTableInput, checkPetPages,
} = common;

const TABLE = 'pets_electrodb';

const client = new DynamoDBClient({ endpoint: ENDPOINT, region: REGION, credentials: CREDENTIALS, maxAttempts: 2 });
const documentClient = DynamoDBDocumentClient.from(client);

const model = { version: '1', service: 'pettracker' };
// Keys in the table's own layout (USER#<id> / PROFILE, USER#<id> / PET#<id>), kept as written (casing: none).
const ownerPk = { field: 'PK', composite: ['userId'], template: 'USER#${userId}', casing: 'none' };

const User = new Entity({
  model: { ...model, entity: 'user' },
  attributes: {
    userId: { type: 'string', required: true },
    name: { type: 'string', required: true },
    email: { type: 'string', required: true },
  },
  indexes: {
    profile: {
      collection: 'owner',
      pk: ownerPk,
      sk: { field: 'SK', composite: [], template: 'PROFILE', casing: 'none' },
    },
  },
}, { table: TABLE, client: documentClient });

const petSk = { field: 'SK', composite: ['petId'], template: 'PET#${petId}', casing: 'none' };
const Pet = new Entity({
  model: { ...model, entity: 'pet' },
  attributes: {
    userId: { type: 'string', required: true },
    petId: { type: 'string', required: true },
    name: { type: 'string', required: true },
    species: { type: 'string', required: true },
    birthWeight: { type: 'number', required: true },
    version: { type: 'number', required: true },
    dailyFood: { type: 'number' },
    chipId: { type: 'number' },
    debt: { type: 'number' },
    delta: { type: 'number' },
  },
  indexes: {
    pets: { collection: 'owner', pk: ownerPk, sk: petSk },
    bySpecies: {
      index: 'bySpecies',
      pk: { field: 'species', composite: ['species'], casing: 'none' },
      sk: petSk,
    },
  },
}, { table: TABLE, client: documentClient });

const app = new Service({ user: User, pet: Pet });

async function dropIfExists() {
  try {
    await client.send(new DeleteTableCommand({ TableName: TABLE }));
    await waitUntilTableNotExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: TABLE });
  } catch (err) {
    if (err.name !== 'ResourceNotFoundException') throw err;
  }
}

const getPet = async (userId, petId) => (await Pet.get({ userId, petId }).go({ consistent: true })).data;

runScenario('electrodb', async () => {
  await dropIfExists();

  // --- create the table (SDK v3) and wait for ACTIVE ---
  await client.send(new CreateTableCommand(createTableInput(TABLE)));
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: TABLE });
  const desc = (await client.send(new DescribeTableCommand({ TableName: TABLE }))).Table;
  eq(desc.TableStatus, 'ACTIVE', 'TableStatus');
  eq(desc.GlobalSecondaryIndexes && desc.GlobalSecondaryIndexes[0].IndexStatus, 'ACTIVE', 'GSI bySpecies IndexStatus');

  // --- users (create = put if not exists) ---
  for (const u of USERS) await User.create(u).go();

  // --- a batch of 200 writes: a batch put of all pets (ElectroDB splits it into BatchWriteItem calls of 25) ---
  const all = pets();
  const batch = await Pet.put(all).go({ concurrency: 1 });
  eq(batch.unprocessed, [], 'unprocessed items of the batch put');

  // --- begins_with query on one user, page size 25, following the cursor ---
  const byId = new Map(all.map((p) => [p.petId, p]));
  const pageSizes = [];
  const sks = [];
  let cursor = null;
  do {
    const page = await Pet.query.pets({ userId: 'u1' }).go({ limit: PAGE_SIZE, cursor, consistent: true });
    pageSizes.push(page.data.length);
    for (const pet of page.data) {
      sks.push(`PET#${pet.petId}`);
      const want = byId.get(pet.petId);
      check(want, `unexpected pet ${pet.petId}`);
      eq([pet.userId, pet.name, pet.species, pet.birthWeight, pet.version],
        ['u1', want.name, want.species, want.birthWeight, 1], `attributes of ${pet.petId}`);
    }
    cursor = page.cursor;
  } while (cursor);
  checkPetPages(pageSizes, sks, PET_COUNT);

  // The same with begins on a partial sort key and pages: 'all'.
  const p1x = await Pet.query.pets({ userId: 'u1' }).begins({ petId: 'p1' }).go({ pages: 'all', limit: PAGE_SIZE });
  eq(p1x.data.length, 100, 'pets p100..p199 through begins({petId: "p1"})');

  // --- the owner collection: profile and pets in one query ---
  const owner = await app.collections.owner({ userId: 'u1' }).go({ pages: 'all' });
  eq(owner.data.user.length, 1, 'profiles in the owner collection');
  eq(owner.data.user[0].email, 'alice@example.com', 'profile in the owner collection');
  eq(owner.data.pet.length, PET_COUNT, 'pets in the owner collection');

  // --- GSI query by species ---
  const cats = await Pet.query.bySpecies({ species: 'cat' }).go({ pages: 'all' });
  eq(cats.data.length, 50, 'cats found through the GSI bySpecies');
  check(cats.data.every((c) => c.species === 'cat' && c.userId === 'u1'), 'every GSI result is one of u1\'s cats');

  // --- number round trips (ElectroDB numbers are JS numbers) ---
  await Pet.put({
    userId: 'u2', petId: 'numbers', name: 'Numbers', species: 'axolotl', version: 1,
    birthWeight: NUMBERS.weight, dailyFood: NUMBERS.tenth,
    chipId: NUMBERS.bigInt, debt: NUMBERS.negBigInt, delta: NUMBERS.negDecimal,
  }).go();
  const nums = await getPet('u2', 'numbers');
  check(nums, 'number item read back');
  eq([nums.birthWeight, nums.dailyFood, nums.chipId, nums.debt, nums.delta],
    [NUMBERS.weight, NUMBERS.tenth, NUMBERS.bigInt, NUMBERS.negBigInt, NUMBERS.negDecimal], 'numbers read back');
  const added = await Pet.patch({ userId: 'u2', petId: 'numbers' }).add({ dailyFood: 0.2 }).go({ response: 'all_new' });
  eq(added.data.dailyFood, 0.3, 'ADD 0.2 to 0.1 (decimal arithmetic)');

  // --- optimistic locking: patch with a where condition on version ---
  const bump = (expected, name) => Pet.patch({ userId: 'u1', petId: 'p001' })
    .set({ name })
    .add({ version: 1 })
    .where(({ version }, { eq: equals }) => equals(version, expected))
    .go({ response: 'all_new' });
  const ok = await bump(1, 'Rex');
  eq([ok.data.version, ok.data.name], [2, 'Rex'], 'update with the current version bumps it');
  const stale = await expectError(() => bump(1, 'Stale'), 'update with a stale version');
  // ElectroDB wraps client errors in an ElectroError whose cause is the SDK error.
  check(stale instanceof ElectroError, `ElectroError expected, got ${stale && stale.constructor && stale.constructor.name}`);
  eq(stale.cause && stale.cause.name, 'ConditionalCheckFailedException', 'name of the error under ElectroError');
  const afterLock = await getPet('u1', 'p001');
  eq([afterLock.version, afterLock.name], [2, 'Rex'], 'the stale update changed nothing');

  // --- transaction: adopt p007 from u1 to u2 with service.transaction.write ---
  const adoption = (pet, toUser) => app.transaction.write(({ pet: petOps, user }) => [
    petOps.create({ ...pet, userId: toUser }).commit(),
    petOps.delete({ userId: 'u1', petId: pet.petId }).where(({ version }, { eq: equals }) => equals(version, 1)).commit(),
    user.check({ userId: toUser }).where(({ userId }, { exists }) => exists(userId)).commit(),
  ]);
  const p7 = all[6];
  const adopted = await adoption(p7, 'u2').go();
  eq(adopted.canceled, false, 'adoption transaction canceled flag');
  const moved = await getPet('u2', 'p007');
  check(moved, 'adopted pet is under u2');
  eq([moved.name, moved.species, moved.birthWeight], [p7.name, p7.species, p7.birthWeight], 'adopted pet attributes');
  eq(await getPet('u1', 'p007'), null, 'adopted pet removed from u1');

  // --- a cancelled transaction: the new owner u404 has no profile ---
  // ElectroDB turns TransactionCanceledException into { canceled: true, data: [per-item reasons] }.
  const p8 = all[7];
  const cancelled = await adoption(p8, 'u404').go();
  eq(cancelled.canceled, true, 'a transaction with a failed condition is canceled');
  eq(cancelled.data.map((r) => [r.code, r.rejected]),
    [['None', false], ['None', false], ['ConditionalCheckFailed', true]], 'cancellation reasons per item');
  check(await getPet('u1', 'p008'), 'a cancelled transaction leaves the pet with its owner');
  eq(await getPet('u404', 'p008'), null, 'a cancelled transaction puts nothing');
  // The same ElectroDB-built request sent by the document client: the SDK error underneath.
  const raw = await expectError(() => documentClient.send(new TransactWriteCommand(adoption(p8, 'u404').params())),
    'the adoption request sent directly');
  eq(raw.name, 'TransactionCanceledException', 'error name of the cancelled transaction');
  eq((raw.CancellationReasons || []).map((r) => r.Code), ['None', 'None', 'ConditionalCheckFailed'], 'CancellationReasons codes');

  // --- delete the table ---
  await client.send(new DeleteTableCommand({ TableName: TABLE }));
  await waitUntilTableNotExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: TABLE });
  const missing = await expectError(() => client.send(new DescribeTableCommand({ TableName: TABLE })), 'DescribeTable after delete');
  eq(missing.name, 'ResourceNotFoundException', 'DescribeTable of a deleted table');
});
