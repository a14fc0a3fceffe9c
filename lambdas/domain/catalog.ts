import builtIn from './catalog.json';

/** The scope name of events that every application may bind, whatever it was granted. */
export const GLOBAL_SCOPE = 'global';

/**
 * The event catalog (docs/rest-api.md): event name -> scope. It starts with the list in the
 * Bitrix24 documentation; operators extend it with a JSON file of the same shape.
 */
export class EventCatalog {
  private readonly scopes: ReadonlyMap<string, string>;

  constructor(entries: Record<string, string>) {
    this.scopes = new Map(Object.entries(entries).map(([name, scope]) => [name.toUpperCase(), scope.toLowerCase()]));
  }

  static withExtension(extension?: Record<string, string>): EventCatalog {
    return new EventCatalog({ ...builtIn.events, ...(extension ?? {}) });
  }

  scopeOf(event: string): string | undefined {
    return this.scopes.get(event.toUpperCase());
  }

  /** True when an application granted `grantedScopes` may bind `event`. */
  isAvailable(event: string, grantedScopes: readonly string[]): boolean {
    const scope = this.scopeOf(event);
    return scope !== undefined && (scope === GLOBAL_SCOPE || grantedScopes.includes(scope));
  }

  /** Every scope the catalog knows, in catalog order, without the global pseudo-scope. */
  knownScopes(): string[] {
    return [...new Set(this.scopes.values())].filter((scope) => scope !== GLOBAL_SCOPE);
  }

  /**
   * The `events` method: with `scope`, the events of that scope; with `full`, every event;
   * otherwise the events of the granted scopes plus the global ones. Catalog order is kept.
   */
  list(options: { scope?: string; full?: boolean; grantedScopes: readonly string[] }): string[] {
    const names = [...this.scopes.entries()];
    if (options.scope !== undefined) {
      const wanted = options.scope.toLowerCase();
      return names.filter(([, scope]) => scope === wanted).map(([name]) => name);
    }
    if (options.full) return names.map(([name]) => name);
    return names.filter(([name]) => this.isAvailable(name, options.grantedScopes)).map(([name]) => name);
  }
}
