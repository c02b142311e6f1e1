// A file can also start a private server of its own, here with fixtures (--seed).
const path = require('node:path');
const { DynamoDBClient, GetItemCommand, DeleteItemCommand, ScanCommand } = require('@aws-sdk/client-dynamodb');
const { startCairn } = require('@cairn-db/test');

let server;
let ddb;
beforeAll(async () => {
  server = await startCairn({ seed: path.join(__dirname, '..', 'fixtures') });
  ddb = new DynamoDBClient(server.clientConfig());
});
afterAll(async () => {
  ddb?.destroy();
  await server?.stop();
});

const count = async () => (await ddb.send(new ScanCommand({ TableName: 'products', Select: 'COUNT' }))).Count;

test('the seeded table and items are there', async () => {
  expect(server.endpoint).not.toBe(process.env.CAIRN_ENDPOINT);
  expect(await count()).toBe(3);
  const { Item } = await ddb.send(new GetItemCommand({ TableName: 'products', Key: { sku: { S: 'p-2' } } }));
  expect(Item).toEqual({ sku: { S: 'p-2' }, name: { S: 'Compass' }, price: { N: '30' } });
});

test('reset loads the seed again', async () => {
  await ddb.send(new DeleteItemCommand({ TableName: 'products', Key: { sku: { S: 'p-1' } } }));
  expect(await count()).toBe(2);
  await server.reset();
  expect(await count()).toBe(3);
});
