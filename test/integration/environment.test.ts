import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { wiring } from '../../lambdas/wiring';

describe('test environment', () => {
  it('reaches the DynamoDB Local started by the global setup, with the service tables', async () => {
    const { TableNames } = await wiring().db.send(new ListTablesCommand({}));
    expect(TableNames).toEqual(expect.arrayContaining(['b24-registry', 'b24-bindings', 'b24-journal']));
  });
});
