// Runs against the one server that @cairn-db/test/vitest-global-setup started for this run.
import { afterAll, afterEach, describe, expect, inject, test } from 'vitest';
import {
  DynamoDBClient,
  CreateTableCommand,
  PutItemCommand,
  GetItemCommand,
  DeleteItemCommand,
  ListTablesCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { clientConfig, reset, save, restore, snapshots, deleteSnapshot } from '@cairn-db/test';

const ddb = new DynamoDBClient(clientConfig());
afterAll(() => ddb.destroy());

async function createOrders() {
  await ddb.send(
    new CreateTableCommand({
      TableName: 'orders',
      AttributeDefinitions: [
        { AttributeName: 'customer', AttributeType: 'S' },
        { AttributeName: 'orderId', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'customer', KeyType: 'HASH' },
        { AttributeName: 'orderId', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    })
  );
}

const putOrder = (customer, orderId, extra = {}) =>
  ddb.send(new PutItemCommand({ TableName: 'orders', Item: { customer: { S: customer }, orderId: { S: orderId }, ...extra } }));

async function orderIds() {
  const { Items } = await ddb.send(new ScanCommand({ TableName: 'orders' }));
  return Items.map((item) => item.orderId.S).sort();
}

async function tableNames() {
  return (await ddb.send(new ListTablesCommand({}))).TableNames;
}

describe('isolation', () => {
  // Every test here starts from an empty server: the previous test's tables are gone.
  afterEach(() => reset());

  test('writes and reads an order', async () => {
    expect(process.env.CAIRN_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(inject('cairnEndpoint')).toBe(process.env.CAIRN_ENDPOINT);
    await createOrders();
    await putOrder('ada', 'o-1', { total: { N: '42' } });
    const { Item } = await ddb.send(
      new GetItemCommand({ TableName: 'orders', Key: { customer: { S: 'ada' }, orderId: { S: 'o-1' } } })
    );
    expect(Item.total).toEqual({ N: '42' });
  });

  test("the previous test's table is gone after the reset", async () => {
    expect(await tableNames()).not.toContain('orders');
  });
});

describe('snapshots', () => {
  afterAll(() => reset());

  test('save, change, restore', async () => {
    await createOrders();
    await putOrder('ada', 'o-1');
    await putOrder('ada', 'o-2');
    const { saved } = await save('two-orders');
    expect(saved).toMatchObject({ name: 'two-orders', tables: 1 });

    await ddb.send(new DeleteItemCommand({ TableName: 'orders', Key: { customer: { S: 'ada' }, orderId: { S: 'o-1' } } }));
    await putOrder('bob', 'o-3');
    expect(await orderIds()).toEqual(['o-2', 'o-3']);

    await restore('two-orders');
    expect(await orderIds()).toEqual(['o-1', 'o-2']);

    // A snapshot survives a reset and brings back the table it holds.
    await reset();
    expect(await tableNames()).not.toContain('orders');
    await restore('two-orders');
    expect(await orderIds()).toEqual(['o-1', 'o-2']);

    await deleteSnapshot('two-orders');
    expect((await snapshots()).map((s) => s.name)).not.toContain('two-orders');
  });

  test("restoring an unknown snapshot fails with Cairn's message", async () => {
    await expect(restore('never-saved')).rejects.toMatchObject({
      name: 'CairnError',
      type: 'ValidationException',
      message: expect.stringContaining('No snapshot named never-saved'),
    });
  });
});
