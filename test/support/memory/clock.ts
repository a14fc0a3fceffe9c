/**
 * A clock the in-memory ports read where their DynamoDB adapters read the system clock
 * (binding `createdAt`, journal ID allocation, health-row expiry). Tests that walk through
 * time set it; the default is the system clock, as in the adapters.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** A clock that only moves when told to. */
export class ManualClock {
  constructor(public current: number) {}

  readonly now: Clock = () => this.current;

  advance(ms: number): number {
    this.current += ms;
    return this.current;
  }
}
