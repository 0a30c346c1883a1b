import type { Clock, TimerHandle } from '../core/clock.js';
import type { ConnectionListener, ConnectionState } from './link.js';
import type { Backoff } from './backoff.js';

/**
 * The connection state machine of docs/mqtt-core.md, written as data (docs/style.md rule 3). It is pure: it
 * owns no socket, only decisions and timers (via the injected Clock). The adapter tells it what
 * happened (`handle(event)`) and it tells the adapter what to do through {@link MachineEffects}.
 * This is the ONE owner of reconnection: mqtt.js runs with `reconnectPeriod: 0`.
 */

/**
 * Inputs the adapter (or the owner) feeds in: what happened to the connection. Named an input, not
 * an event, because in src/pump a machine event is an output (`pump/<node>/event`).
 * `attempt` ids let stale inputs from an old socket be ignored.
 */
export type ConnectionInput =
  /** Begin connecting (from DISCONNECTED, or from a stopped FAILED). */
  | { type: 'start' }
  /** CONNACK with success for attempt `attempt`. */
  | { type: 'connack'; attempt: number }
  /** Attempt `attempt` failed before CONNACK (refused, socket error, TLS error...). */
  | { type: 'attemptFailed'; attempt: number; reason: string }
  /** The connection of attempt `attempt` closed (after or before CONNACK). */
  | { type: 'lost'; attempt: number; reason: string }
  /** Owner's close(): go to DISCONNECTED from anywhere, cancelling every timer. */
  | { type: 'close'; reason?: string };

/** What the machine asks the adapter to do. */
export interface MachineEffects {
  /** Open a new connection; report its outcome with events carrying `attempt`. */
  connect(attempt: number): void;
  /** Tear down attempt/connection `attempt` (timeout, close); its later events are ignored. */
  abort(attempt: number, reason: string): void;
}

/** Options for {@link ConnectionMachine}. */
export interface MachineOptions {
  clock: Clock;
  backoff: Backoff;
  effects: MachineEffects;
  /** Consecutive failed attempts before FAILED; 0 = never FAILED. */
  maxReconnectAttempts: number;
  /** In FAILED stop probing instead of continuing at the capped backoff. */
  stopWhenFailed: boolean;
  /** Our own CONNACK deadline per attempt (ms). */
  connectTimeoutMs: number;
  /** Called when a transition listener throws (the core logs and counts it). */
  onListenerError?: (err: unknown) => void;
}

/** The state with the data (attempt id, timer) that only exists while in it. */
type StateData =
  | { name: 'DISCONNECTED' }
  | { name: 'CONNECTED'; attempt: number }
  | { name: 'CONNECTING' | 'RECONNECTING' | 'FAILED'; phase: 'attempting'; attempt: number; timer: TimerHandle }
  | { name: 'RECONNECTING' | 'FAILED'; phase: 'waiting'; timer: TimerHandle | undefined };

/** The connection state machine. */
export class ConnectionMachine {
  private data: StateData = { name: 'DISCONNECTED' };
  private listeners: ConnectionListener[] = [];
  private nextAttemptId = 1;
  private failures = 0;
  private since: number;

  constructor(private readonly opts: MachineOptions) {
    this.since = opts.clock.now();
  }

  /** Current state name. */
  get state(): ConnectionState {
    return this.data.name;
  }

  /** Consecutive failed attempts since the last CONNACK. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Monotonic ms when the current state was entered. */
  get stateSince(): number {
    return this.since;
  }

  /** Id of the attempt whose connection is open or being opened, if any. */
  get currentAttempt(): number | undefined {
    const d = this.data;
    if (d.name === 'CONNECTED') return d.attempt;
    if (d.name !== 'DISCONNECTED' && d.phase === 'attempting') return d.attempt;
    return undefined;
  }

  /** Listen to transitions; returns an unsubscribe function. */
  onTransition(l: ConnectionListener): () => void {
    this.listeners.push(l);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }

  /** Feed one event; decides the next state. Events that do not apply to the state are ignored. */
  handle(ev: ConnectionInput): void {
    const d = this.data;
    switch (ev.type) {
      case 'start':
        if (d.name === 'DISCONNECTED') this.attempt('CONNECTING', 'start');
        else if (d.name === 'FAILED' && d.phase === 'waiting' && !d.timer) this.attempt('FAILED', 'restart');
        return;
      case 'close': {
        if (d.name === 'DISCONNECTED') return;
        const a = this.currentAttempt;
        this.enter({ name: 'DISCONNECTED' }, ev.reason ?? 'close');
        if (a !== undefined) this.opts.effects.abort(a, 'close');
        return;
      }
      case 'connack':
        if (d.name === 'DISCONNECTED' || d.name === 'CONNECTED' || d.phase !== 'attempting' || d.attempt !== ev.attempt) return;
        this.failures = 0;
        this.opts.backoff.reset(); // docs/mqtt-core.md: attempt counter and delay reset on a successful CONNACK
        this.enter({ name: 'CONNECTED', attempt: ev.attempt }, 'connack');
        return;
      case 'lost':
        if (d.name === 'CONNECTED' && d.attempt === ev.attempt) {
          this.wait('RECONNECTING', ev.reason);
          return;
        }
        // A close before CONNACK is a failed attempt.
        this.failed(ev.attempt, ev.reason);
        return;
      case 'attemptFailed':
        this.failed(ev.attempt, ev.reason);
        return;
    }
  }

  private failed(attempt: number, reason: string): void {
    const d = this.data;
    if (d.name === 'DISCONNECTED' || d.name === 'CONNECTED' || d.phase !== 'attempting' || d.attempt !== attempt) return;
    this.failures++;
    const max = this.opts.maxReconnectAttempts;
    const target = d.name === 'FAILED' || (max > 0 && this.failures >= max) ? 'FAILED' : 'RECONNECTING';
    this.wait(target, reason);
  }

  /** Enter (or stay in) RECONNECTING/FAILED waiting for the backoff timer. */
  private wait(name: 'RECONNECTING' | 'FAILED', reason: string): void {
    const stop = name === 'FAILED' && this.opts.stopWhenFailed;
    // The timer is created before entering; enter() cancels the previous state's timer only.
    const delay = stop ? 0 : this.opts.backoff.next();
    const timer = stop ? undefined : this.opts.clock.setTimer(delay, () => this.attempt(name, 'backoff elapsed'));
    this.enter({ name, phase: 'waiting', timer }, reason);
  }

  /** Start a connection attempt in state `name` (a phase change when already in it). */
  private attempt(name: 'CONNECTING' | 'RECONNECTING' | 'FAILED', reason: string): void {
    const attempt = this.nextAttemptId++;
    const timer = this.opts.clock.setTimer(this.opts.connectTimeoutMs, () => {
      this.opts.effects.abort(attempt, 'connect timeout');
      this.failed(attempt, 'connect timeout');
    });
    this.enter({ name, phase: 'attempting', attempt, timer }, reason);
    this.opts.effects.connect(attempt);
  }

  /** Replace the state data, cancel the old state's timer, notify listeners on a real transition. */
  private enter(next: StateData, reason: string): void {
    const prev = this.data;
    if (prev.name !== 'DISCONNECTED' && prev.name !== 'CONNECTED') prev.timer?.cancel();
    this.data = next;
    if (prev.name === next.name) return; // phase change (waiting ↔ attempting): not a transition
    this.since = this.opts.clock.now();
    for (const l of [...this.listeners]) {
      try {
        l(prev.name, next.name, reason);
      } catch (err) {
        // A throwing listener must not break the machine or the other listeners (docs/style.md rule 8).
        this.opts.onListenerError?.(err);
      }
    }
  }
}
