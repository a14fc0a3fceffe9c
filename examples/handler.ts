/**
 * An online event handler: the URL you give `event.bind` (docs/delivery.md).
 *
 *   B24_SIGNING_SECRET=<webhook_signing_secret from install> HANDLER_PORT=8080 npx tsx examples/handler.ts
 *
 * It checks the Standard Webhooks signature of every delivery against the raw body, for the
 * default form bodies (Bitrix24's `application/x-www-form-urlencoded`) and for JSON bodies
 * (`options[format]=json`), then prints one JSON line per delivery and answers 200. A body
 * whose signature does not match gets 401 and is not printed as an event. `GET /` answers
 * `ok`, so a script can wait until the handler listens.
 */
import { createServer } from 'node:http';
import { parse as parseForm } from 'qs';
import { Webhook } from 'standardwebhooks';

const secret = process.env.B24_SIGNING_SECRET;
if (!secret) {
  console.error('B24_SIGNING_SECRET is required: the webhook_signing_secret that `npm run admin -- install` printed');
  process.exit(2);
}
const port = Number(process.env.HANDLER_PORT ?? 8080);
const webhook = new Webhook(secret);

/** Verifies the raw body as it arrived; parses it only after. */
function verify(rawBody: string, headers: Record<string, string>, contentType: string): Record<string, unknown> {
  // jsonParse: false, because a form body is not JSON: the signature covers the raw string either way.
  webhook.verify(rawBody, headers, { jsonParse: false });
  // PHP-style keys (data[FIELDS][ID]=7405), decoded as PHP's $_POST would be.
  return contentType.startsWith('application/json') ? (JSON.parse(rawBody) as Record<string, unknown>) : (parseForm(rawBody, { depth: 8 }) as Record<string, unknown>);
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    const contentType = headers['content-type'] ?? '';
    let payload: Record<string, unknown>;
    try {
      payload = verify(rawBody, headers, contentType);
    } catch (error) {
      console.log(JSON.stringify({ verified: false, error: error instanceof Error ? error.message : String(error) }));
      res.writeHead(401).end();
      return;
    }
    const auth = (payload.auth ?? {}) as Record<string, unknown>;
    console.log(
      JSON.stringify({
        verified: true,
        format: contentType.startsWith('application/json') ? 'json' : 'form',
        webhook_id: headers['webhook-id'],
        event: payload.event,
        data: payload.data,
        member_id: auth.member_id,
        user_id: auth.user_id,
      }),
    );
    res.writeHead(200).end();
  });
});

server.listen(port, '127.0.0.1', () => console.error(`handler listening on http://127.0.0.1:${port}/`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
