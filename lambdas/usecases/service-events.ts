import type { Caller } from '../domain/model';
import { deliveryFor } from '../domain/delivery';
import type { BindingStore, DeliveryQueue } from '../domain/ports';
import { LANGUAGE_ID } from './installations';

/** Events the event service raises itself (docs/delivery.md, "Application lifecycle"; Bitrix24's ONAPPINSTALL and ONAPPTEST documentation). */
export const TEST_EVENT = 'ONAPPTEST';

/**
 * `event.test`: sends ONAPPTEST to the calling application's own online ONAPPTEST bindings,
 * with `data = {QUERY: <the call's parameters>, LANGUAGE_ID}` (api-reference/events/test-handler.md), through the delivery queue. Its tokens
 * (domain/delivery.ts) include a refresh token, for the binding's `auth_type` user or else
 * the caller. Returns 1, as Bitrix24 does, bound or not.
 */
export async function testEvent(
  deps: { bindings: BindingStore; deliveries: DeliveryQueue },
  caller: Caller,
  query: Record<string, unknown>,
  now: number,
): Promise<1> {
  const bindings = (await deps.bindings.listByApplication(caller.memberId, caller.clientId)).filter((b) => b.event === TEST_EVENT && !b.offline);
  const messages = bindings.map((b) => deliveryFor(b, TEST_EVENT, b.userId || caller.userId, { QUERY: query, LANGUAGE_ID }, Math.floor(now / 1000)));
  if (messages.length > 0) await deps.deliveries.enqueue(messages);
  return 1;
}
