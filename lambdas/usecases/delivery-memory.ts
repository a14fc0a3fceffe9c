import type { HandlerHealth } from '../domain/handler-health';
import type { Installation, Portal } from '../domain/model';
import type { BindingStore, DeliveryLog, DeliveryMessage, RegistryStore } from '../domain/ports';
import { TtlCache } from '../domain/ttl-cache';
import { DeliveryTokens, type TokenSettings } from './tokens';

export interface DeliveryMemorySettings extends TokenSettings {
  /** How long a worker keeps what it read of installations, handler health and bindings, ms (DELIVERY_CACHE_SECONDS). */
  knownForMs: number;
}

/** Bindings of one (portal, event) as read at `loadedAt`. */
interface KnownBindings {
  ids: ReadonlySet<number>;
  loadedAt: number;
}

/** Events whose installation is read fresh: they announce that it has just changed. */
const LIFECYCLE = new Set(['ONAPPINSTALL', 'ONAPPUNINSTALL', 'ONAPPUPDATE']);

/**
 * What one delivery worker keeps in memory between deliveries (docs/delivery.md, "What the
 * worker keeps in memory"), so a healthy handler of a known installation costs no read:
 * portals and installations, handler health and the bindings of (portal, event), each known for
 * `knownForMs` (5 s by default) after it was read; and the access tokens it handed out
 * (tokens.ts, `DeliveryTokens`). One per process: a Lambda container or the local worker.
 */
export class DeliveryMemory {
  readonly tokens: DeliveryTokens;
  private readonly installations: TtlCache<[Portal | undefined, Installation | undefined]>;
  private readonly health: TtlCache<HandlerHealth>;
  private readonly bindings: TtlCache<KnownBindings>;

  constructor(settings: DeliveryMemorySettings) {
    this.tokens = new DeliveryTokens(settings);
    this.installations = new TtlCache(settings.knownForMs);
    this.health = new TtlCache(settings.knownForMs);
    this.bindings = new TtlCache(settings.knownForMs);
  }

  /** The portal and installation; read fresh for lifecycle events (and kept from then on). */
  installation(registry: RegistryStore, message: DeliveryMessage, now: number): Promise<[Portal | undefined, Installation | undefined]> {
    const key = `${message.memberId}/${message.clientId}`;
    const load = async (): Promise<[Portal | undefined, Installation | undefined]> => {
      const read = await Promise.all([registry.getPortal(message.memberId), registry.getInstallation(message.memberId, message.clientId)]);
      // An application that is not installed is not remembered: it may be installed a moment later.
      if (!read[0] || !read[1]) this.installations.delete(key);
      return read;
    };
    return LIFECYCLE.has(message.event) ? this.installations.refresh(key, now, load) : this.installations.get(key, now, load);
  }

  handlerHealth(log: DeliveryLog, handler: string, now: number): Promise<HandlerHealth> {
    return this.health.get(handler, now, () => log.getHealth(handler));
  }

  /** What this worker itself just learnt of a handler (its attempt, or the turn it took). */
  learntHealth(handler: string, health: HandlerHealth): void {
    this.health.update(handler, health);
  }

  /** Another worker holds the handler's turn: read its health again next time. */
  forgetHealth(handler: string): void {
    this.health.delete(handler);
  }

  /**
   * Whether the message's binding still exists. Binding ids are never reused (one counter per
   * portal), so a binding missing from a list read after the event was published (`ts`, whole
   * seconds, plus a second for clocks) has been unbound; a list read before then is read again
   * (a fresh read always sees a binding the publish saw).
   */
  async bindingExists(store: BindingStore, message: DeliveryMessage, now: number): Promise<boolean> {
    // Per application: the set holds this application's bindings only.
    const key = `${message.memberId}/${message.clientId}/${message.event}`;
    const load = async (): Promise<KnownBindings> => {
      const bindings = await store.listByEvent(message.memberId, message.event);
      return { ids: new Set(bindings.filter((b) => b.clientId === message.clientId && !b.offline).map((b) => b.id)), loadedAt: now };
    };
    let known = await this.bindings.get(key, now, load);
    if (known.ids.has(message.bindingId)) return true;
    if (known.loadedAt < (message.ts + 2) * 1000) known = await this.bindings.refresh(key, now, load);
    return known.ids.has(message.bindingId);
  }
}
