import { CreateTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ensureTables, localClient } from '../../local/dynamodb';
import { wiring } from '../support/wiring';

describe('test environment', () => {
  it('reaches the DynamoDB Local started by the global setup, with the service tables', async () => {
    const { TableNames } = await wiring().db.send(new ListTablesCommand({}));
    expect(TableNames).toEqual(expect.arrayContaining(['b24-registry', 'b24-bindings', 'b24-journal', 'b24-deliveries']));
  });

  it('refuses a DATA_DIR whose journal table predates its index, saying what to do', async () => {
    const endpoint = process.env.DYNAMODB_ENDPOINT!;
    const client = localClient(endpoint);
    await client.send(
      new CreateTableCommand({
        TableName: 'old-journal',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      }),
    );
    client.destroy();
    await expect(ensureTables(endpoint, { registry: 'b24-registry', bindings: 'b24-bindings', journal: 'old-journal', deliveries: 'b24-deliveries' })).rejects.toThrow(
      /old-journal lacks the index\(es\) byOrder.*empty DATA_DIR/,
    );
  });
});
