import type { Logger } from '../log/logger.js';

/** A listener for one event type. */
export type Listener<T> = (payload: T) => void;

/**
 * Typed in-process event bus (docs/style.md rule 8). Subscriptions are scoped to an owner string and
 * removed together with {@link Bus.removeOwner} on a part's stop(). A throwing listener is logged
 * and counted and never breaks the emitter or the other listeners (zigbee2mqtt's EventBus does the
 * same). Delivery is synchronous, in subscription order, so a local trigger reaches the pump in the
 * same tick even with the broker down (docs/design.md "Local first").
 */
export class Bus<E extends { [K in keyof E]: unknown }> {
  private readonly subs = new Map<keyof E, Array<{ owner: string; fn: Listener<never> }>>();
  /** Listener exceptions caught so far (exported as a metric). */
  listenerErrors = 0;

  constructor(private readonly log?: Logger) {}

  /** Subscribe `owner`'s listener to `event`; returns an unsubscribe function. */
  on<K extends keyof E>(event: K, owner: string, fn: Listener<E[K]>): () => void {
    const list = this.subs.get(event) ?? [];
    const entry = { owner, fn: fn as Listener<never> };
    list.push(entry);
    this.subs.set(event, list);
    return () => {
      const l = this.subs.get(event);
      if (l) this.subs.set(event, l.filter((e) => e !== entry));
    };
  }

  /** Deliver `payload` to every listener of `event`; listener errors are isolated. */
  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const list = this.subs.get(event);
    if (!list) return;
    for (const { owner, fn } of [...list]) {
      try {
        (fn as Listener<E[K]>)(payload);
      } catch (err) {
        this.listenerErrors++;
        this.log?.error('bus listener threw; other listeners unaffected', { event: String(event), owner, err });
      }
    }
  }

  /** Remove every subscription made by `owner`. */
  removeOwner(owner: string): void {
    for (const [k, list] of this.subs) this.subs.set(k, list.filter((e) => e.owner !== owner));
  }

  /** Number of listeners for `event` (diagnostics and tests). */
  listenerCount<K extends keyof E>(event: K): number {
    return this.subs.get(event)?.length ?? 0;
  }
}
