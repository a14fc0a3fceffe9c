import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Counts DynamoDB capacity as AWS bills it, from the service's own client: every command asks
 * for `ReturnConsumedCapacity: INDEXES` and the units DynamoDB Local reports are added up per
 * table, with two corrections DynamoDB Local does not make:
 * - a transactional write item is billed 2 units per KB (Local reports 1);
 * - a write whose condition fails is billed as a write of the item (1 unit for the journal's
 *   items, which are under 1 KB), and the failed request reports nothing.
 */
export interface Units {
  read: number;
  write: number;
  /** Requests by operation, failed conditional writes included. */
  requests: Record<string, number>;
  failedConditions: number;
  byTable: Record<string, { read: number; write: number; failedConditions?: number }>;
}

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand', 'PutCommand', 'UpdateCommand', 'DeleteCommand', 'BatchWriteCommand', 'TransactWriteCommand']);
const TRANSACTIONAL = new Set(['TransactWriteItemsCommand', 'TransactWriteCommand']);
const CAPACITY = new Set([...WRITES, 'GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand', 'GetCommand', 'BatchGetCommand', 'TransactGetCommand']);

interface Consumed {
  TableName?: string;
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

export class CapacityMeter {
  private units: Units = CapacityMeter.empty();

  static empty(): Units {
    return { read: 0, write: 0, requests: {}, failedConditions: 0, byTable: {} };
  }

  /** Adds the counting middleware to a client (once). */
  attach(client: DynamoDBDocumentClient): this {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = String(context.commandName ?? '');
        const input = args.input as Record<string, unknown>;
        if (CAPACITY.has(command)) input.ReturnConsumedCapacity = 'INDEXES';
        this.units.requests[command] = (this.units.requests[command] ?? 0) + 1;
        try {
          const result = await next(args);
          const output = result.output as { ConsumedCapacity?: Consumed | Consumed[] };
          const list = output.ConsumedCapacity === undefined ? [] : Array.isArray(output.ConsumedCapacity) ? output.ConsumedCapacity : [output.ConsumedCapacity];
          for (const c of list) this.add(c.TableName ?? '?', WRITES.has(command), (c.CapacityUnits ?? (c.WriteCapacityUnits ?? 0) + (c.ReadCapacityUnits ?? 0)) * (TRANSACTIONAL.has(command) ? 2 : 1));
          return result;
        } catch (error) {
          const name = (error as { name?: string }).name;
          if (WRITES.has(command) && name === 'ConditionalCheckFailedException') {
            this.units.failedConditions++;
            this.add(String(input.TableName ?? '?'), true, 1);
            const t = this.units.byTable[String(input.TableName ?? '?')]!;
            t.failedConditions = (t.failedConditions ?? 0) + 1;
          }
          throw error;
        }
      },
      { step: 'initialize', name: 'benchCapacityMeter', override: true },
    );
    return this;
  }

  private add(table: string, write: boolean, units: number): void {
    const t = (this.units.byTable[table] ??= { read: 0, write: 0 });
    if (write) {
      this.units.write += units;
      t.write += units;
    } else {
      this.units.read += units;
      t.read += units;
    }
  }

  /** Runs `work` and returns what it consumed (work running at the same time is counted too). */
  async measure<T>(work: () => Promise<T>): Promise<{ value: T; units: Units }> {
    const before = this.units;
    this.units = CapacityMeter.empty();
    try {
      const value = await work();
      return { value, units: this.units };
    } finally {
      const measured = this.units;
      this.units = merge(before, measured);
    }
  }
}

function merge(a: Units, b: Units): Units {
  const out: Units = { read: a.read + b.read, write: a.write + b.write, failedConditions: a.failedConditions + b.failedConditions, requests: { ...a.requests }, byTable: {} };
  for (const [k, v] of Object.entries(b.requests)) out.requests[k] = (out.requests[k] ?? 0) + v;
  for (const t of new Set([...Object.keys(a.byTable), ...Object.keys(b.byTable)])) {
    out.byTable[t] = { read: (a.byTable[t]?.read ?? 0) + (b.byTable[t]?.read ?? 0), write: (a.byTable[t]?.write ?? 0) + (b.byTable[t]?.write ?? 0) };
  }
  return out;
}
