import type { NewBinding } from '../../../lambdas/domain/bindings';
import { errors } from '../../../lambdas/domain/errors';
import type { Binding } from '../../../lambdas/domain/model';
import type { BindingStore } from '../../../lambdas/domain/ports';

/**
 * BindingStore in memory, as adapters/dynamo/binding-repository.ts behaves:
 * - ids come from one counter per portal, starting at 1; the counter moves on every `create`,
 *   also one that fails as a duplicate (the adapter increments it before the conditional put);
 * - a binding is unique on (portal, event, application, offline, handler, user, connector):
 *   the same one again throws `ERROR_CORE` "Handler already binded" and stores nothing;
 * - `createdAt` is the `now` the caller passes, as the adapter stores it;
 * - `delete` removes whatever is stored under the binding's identity (the adapter deletes by
 *   key, not by id);
 * - both lists come in id (creation) order.
 */
export class MemoryBindingStore implements BindingStore {
  private readonly stored = new Map<string, Binding>();
  private readonly counters = new Map<string, number>();

  async create(binding: NewBinding, now: number): Promise<Binding> {
    const id = (this.counters.get(binding.memberId) ?? 0) + 1;
    this.counters.set(binding.memberId, id);
    const key = identity(binding);
    if (this.stored.has(key)) throw errors.handlerAlreadyBound();
    const created: Binding = { ...structuredClone(binding), id, createdAt: now };
    this.stored.set(key, created);
    return structuredClone(created);
  }

  async listByEvent(memberId: string, event: string): Promise<Binding[]> {
    return this.list((b) => b.memberId === memberId && b.event === event);
  }

  async listByApplication(memberId: string, clientId: string): Promise<Binding[]> {
    return this.list((b) => b.memberId === memberId && b.clientId === clientId);
  }

  async delete(binding: Binding): Promise<void> {
    this.stored.delete(identity(binding));
  }

  /** Every stored binding (test inspection). */
  all(): Binding[] {
    return this.list(() => true);
  }

  private list(keep: (b: Binding) => boolean): Binding[] {
    return [...this.stored.values()].filter(keep).sort((a, b) => a.id - b.id).map((b) => structuredClone(b));
  }
}

const identity = (b: NewBinding): string => JSON.stringify([b.memberId, b.event, b.clientId, b.offline, b.handler, b.userId, b.connector]);
