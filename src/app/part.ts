import type { Part } from '../core/part.js';

/** A part as the app holds it in its list (status read as `unknown`: each consumer takes the part's own type). */
export type AppPart = Part<unknown>;

/** Run `p` but give up after `ms`, so one stuck part cannot stall shutdown (docs/style.md rule 9). */
export async function withDeadline<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve(undefined);
    }, ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
