import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { JournalRecord, QueueKey } from '../../lambdas/domain/model';
import type { JournalStore } from '../../lambdas/domain/ports';
import { install, type InstallRequest } from '../../lambdas/usecases/installations';
import { wiring } from '../support/wiring';
import { createLocalServer } from '../../local/server';
import { TEST_PRODUCER_KEY } from './constants';

export const newMemberId = (): string => randomBytes(16).toString('hex');
export const newClientId = (): string => `local.${randomBytes(6).toString('hex')}`;

/** A queue's pending (unclaimed, non-error) records in MESSAGE_ID order, read through the store's public `readAll`. */
export async function pendingRecords(journal: Pick<JournalStore, 'readAll'>, queue: QueueKey): Promise<JournalRecord[]> {
  return (await journal.readAll(queue, Date.now())).filter((r) => r.processId === '' && !r.error);
}

export interface InstalledUser {
  memberId: string;
  clientId: string;
  userId: number;
  accessToken: string;
  refreshToken: string;
  webhookUrl: string;
  applicationToken: string;
  signingSecret: string;
  clientSecret: string | null;
}

/** Installs an application for a user through the same use case the admin CLI runs. */
export async function installUser(request: Partial<InstallRequest> & { memberId?: string } = {}): Promise<InstalledUser> {
  const deps = wiring();
  const memberId = request.memberId ?? newMemberId();
  const clientId = request.clientId ?? newClientId();
  const userId = request.userId ?? 1;
  const out = await install(
    {
      registry: deps.registry,
      bindings: deps.bindings,
      journal: deps.journal,
      publicUrl: deps.config.PUBLIC_URL,
      accessTokenTtl: deps.config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtl: deps.config.REFRESH_TOKEN_TTL_SECONDS,
    },
    { domain: `${memberId.slice(0, 8)}.example.com`, admin: true, ...request, memberId, clientId, userId },
    Date.now(),
  );
  return {
    memberId,
    clientId,
    userId,
    accessToken: out.access_token as string,
    refreshToken: out.refresh_token as string,
    webhookUrl: out.webhook_url as string,
    applicationToken: out.application_token as string,
    signingSecret: out.webhook_signing_secret as string,
    clientSecret: out.client_secret as string | null,
  };
}

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The local HTTP front on a free port (or `port`), in this process, against the test DynamoDB
 * Local; HTTPS with `tls`.
 */
export async function startTestServer(options: { port?: number; tls?: { cert: Buffer; key: Buffer } } = {}): Promise<TestServer> {
  const server = createLocalServer({ maxBodyBytes: wiring().config.MAX_BODY_BYTES, ...(options.tls ? { tls: options.tls } : {}) });
  await new Promise<void>((r) => server.listen(options.port ?? 0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function reply(response: Response): Promise<Reply> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** POST a JSON body. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return reply(await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }));
}

/** POST a form body (already encoded). */
export async function postForm(url: string, form: string): Promise<Reply> {
  return reply(await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form }));
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  return reply(await fetch(url, { headers }));
}

/** Publishes as the producer. */
export async function publishEvents(baseUrl: string, memberId: string, events: unknown[]): Promise<Reply> {
  return postJson(`${baseUrl}/producer/events`, { member_id: memberId, events }, { authorization: `Bearer ${TEST_PRODUCER_KEY}` });
}
