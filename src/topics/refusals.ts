/**
 * The catalogue of refusal reasons (issue 15 item 4): every reason the pump gives for not acting
 * on a trigger or a command, as it appears in `pump/<node>/event` (`reason`), `pump/<node>/ack`
 * (`reason`), the `wfe_pump_refused_*_total{reason}` metric labels, the refusal log summaries and
 * the owner's notifications. Each code says whether it is **routine** (de-duplication or input
 * hygiene: counted, not paged) or a fire trigger the pump did not act on (the owner is notified),
 * with the human text kept apart from the code. Before, reasons were free strings made in four
 * files and notify matched them with a regex, so renaming one would silently page the owner on
 * every trigger echo (or stop paging a real block). Producers are typed by these codes, so a
 * rename is a compile error, and `test/notify/classify.test.ts` walks the catalogue.
 */

/** What a reason means. */
export interface RefusalInfo {
  /** Routine: de-duplication or input hygiene; not notified. */
  readonly routine: boolean;
  /** Expected and frequent (a local trigger comes back over MQTT): logged at debug only. */
  readonly quiet?: boolean;
  /** For people: what happened and, where there is one, what to do. */
  readonly text: string;
}

/** Why a trigger (`fire/trigger` or the local bus) did not start or extend a run (docs/pump.md Safety 8, "Rules the table implies"). */
export const TRIGGER_REFUSALS = {
  duplicate: { routine: true, quiet: true, text: 'this trigger id was already admitted (a local trigger also arrives over MQTT)' },
  retained: { routine: true, text: 'a retained trigger is never acted on' },
  expired: { routine: true, text: 'the trigger expired before it arrived (or the node clocks disagree)' },
  malformed: { routine: true, text: 'not a valid trigger payload' },
  outside_zones: { routine: true, text: "the trigger names none of this pump's zones" },
  shutting_down: { routine: true, text: 'the process is stopping' },
  error_latched: { routine: false, text: 'the pump is in ERROR and starts nothing until an operator sends reset' },
  state_lost: { routine: false, text: 'the pump state file was lost or corrupt; automatic triggers are refused until an operator sends reset and arm' },
  trigger_blocked_refilling: { routine: false, text: 'the pump is stopping or refilling its tank (refill lockout)' },
  disarmed: { routine: false, text: 'the pump is disarmed; send arm to accept automatic triggers' },
  operator_hold: { routine: false, text: 'an operator stopped the pump; automatic triggers are held off for operatorHoldSeconds' },
  limit_stop: { routine: false, text: 'the maximum-runtime stop has begun and cannot be cancelled' },
} as const satisfies Record<string, RefusalInfo>;

/** Why a command (`fire/emergency`, the status page, the button) was not carried out (docs/pump.md "Commands"). */
export const COMMAND_REFUSALS = {
  malformed: { routine: true, text: 'not a valid command payload' },
  unknown_action: { routine: true, text: 'no such action' },
  retained: { routine: true, text: 'a retained command is never acted on' },
  duplicate: { routine: true, quiet: true, text: 'this command id was already handled' },
  expired: { routine: true, text: 'the command is older than commandExpirySeconds' },
  future_timestamp: { routine: true, text: 'the command is stamped in the future (or in milliseconds)' },
  shutting_down: { routine: true, text: 'the process is stopping' },
  error_latched: { routine: true, text: 'the pump is in ERROR: send reset first' },
  stopping: { routine: true, text: 'the engine stop pulse is running: retry after it' },
  limit_stop: { routine: true, text: 'the maximum-runtime stop cannot be cancelled' },
  not_idle: { routine: true, text: 'the main valve is controlled by the running sequence' },
  engine_running: { routine: true, text: 'the engine runs: stop first' },
} as const satisfies Record<string, RefusalInfo>;

/** A trigger refusal code. */
export type TriggerRefusal = keyof typeof TRIGGER_REFUSALS;
/** A command refusal code. */
export type CommandRefusal = keyof typeof COMMAND_REFUSALS;

/** Label for a reason whose code is in neither catalogue (keeps metric labels bounded). */
export const OTHER_REFUSAL = 'other';

/** The catalogue of `kind`. */
function catalogue(kind: 'trigger' | 'command'): Readonly<Record<string, RefusalInfo>> {
  return kind === 'trigger' ? TRIGGER_REFUSALS : COMMAND_REFUSALS;
}

/**
 * The code of a reason as it travels (`engine_running: stop first` → `engine_running`), or
 * {@link OTHER_REFUSAL} when the catalogue of `kind` has no such code.
 */
export function refusalCode(kind: 'trigger' | 'command', reason: string): string {
  const m = /^([a-z_]{1,40})(:|$)/.exec(reason);
  return m && Object.hasOwn(catalogue(kind), m[1]) ? m[1] : OTHER_REFUSAL;
}

/** What the catalogue says of a reason; an unknown code is treated as not routine (tell the owner). */
export function refusalInfo(kind: 'trigger' | 'command', reason: string): RefusalInfo {
  const code = refusalCode(kind, reason);
  return code === OTHER_REFUSAL ? { routine: false, text: reason === '' ? 'no reason given' : reason } : catalogue(kind)[code];
}

/** A command refusal as sent in acks: `code: detail` (the detail says what to do). */
export function commandRefusal(code: CommandRefusal, detail?: string): string {
  return detail === undefined ? code : `${code}: ${detail}`;
}
