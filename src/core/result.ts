/** Errors as values at boundaries (docs/style.md rule 7): parse/validate functions return a Result. */
export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Success. */
export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
/** Failure with a human-readable reason naming cause and, where possible, the fix. */
export const fail = <T = never>(reason: string): Result<T> => ({ ok: false, reason });

/** A domain error with a stable machine-readable code (like zigbee2mqtt's ErrorWithReasonCode). */
export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CodedError';
  }
}
