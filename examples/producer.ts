/**
 * A producer: the platform side that publishes domain events (docs/producer.md).
 *
 *   MEMBER_ID=0123456789abcdef0123456789abcdef npx tsx examples/producer.ts ONCRMDEALUPDATE 7405 7406
 *
 * Publishes one event per deal ID given after the event name (`data = {FIELDS: {ID}}`) in
 * one request, and prints the service's answer. The key is `PRODUCER_KEY`, else the file
 * `npm start` keeps in `$DATA_DIR/producer-key` (default `./.local`); the service is at
 * `BASE` (default http://127.0.0.1:3000). On AWS the route takes SigV4 (IAM) instead of a key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [event, ...ids] = process.argv.slice(2);
const memberId = process.env.MEMBER_ID;
if (!event || ids.length === 0 || !memberId) {
  console.error('usage: MEMBER_ID=<32 hex> npx tsx examples/producer.ts <EVENT> <deal id>...');
  process.exit(2);
}
const base = (process.env.BASE ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const keyFile = join(process.env.DATA_DIR ?? '.local', 'producer-key');
const key = process.env.PRODUCER_KEY ?? readFileSync(keyFile, 'utf8').trim();

async function main(): Promise<number> {
  const response = await fetch(`${base}/producer/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      member_id: memberId,
      events: ids.map((id) => ({ event, data: { FIELDS: { ID: Number(id) } }, user_id: 1 })),
    }),
  });
  const answer = (await response.json()) as { result?: unknown; error?: string; error_description?: string };
  if (!response.ok) {
    console.error(`${response.status} ${answer.error}: ${answer.error_description}`);
    return 1;
  }
  console.log(JSON.stringify(answer.result));
  return 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
