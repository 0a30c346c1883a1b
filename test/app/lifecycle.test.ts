import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLifecycle } from '../../src/app/index.js';
import { memoryLogger } from '../../src/log/logger.js';
import { createPumpExitSafety } from '../../src/pump/index.js';

// Issue 15 item 3: one owner of process signals. The lifecycle alone registers process handlers,
// calls the pump's safe stop first (naming the exit) and then the app's ordered stop; a signal is
// logged once.

const EVENTS = ['SIGTERM', 'SIGINT', 'uncaughtException', 'unhandledRejection'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('process lifecycle: the one owner of signals', () => {
  it('no file in src/ but src/app/lifecycle.ts registers a process handler', () => {
    const owners = tsFiles('src').filter((f) => /\bprocess\.(on|once|addListener|prependListener|prependOnceListener)\(/.test(readFileSync(f, 'utf8')));
    expect(owners).toEqual([join('src', 'app', 'lifecycle.ts')]);
  });

  it('SIGTERM: logged once, the pump safe stop first (exit named SIGTERM), then the app stop; handlers gone after', async () => {
    const before = EVENTS.map((e) => process.listenerCount(e));
    const logger = memoryLogger('debug');
    const order: string[] = [];
    const safety = createPumpExitSafety({
      controller: { stop: async (why) => void order.push(`pump safe: exit:${why}`) },
      logger,
    });
    const lc = createLifecycle({ logger, hardExitMs: 5000, exit: () => order.push('hard exit') });
    expect(EVENTS.map((e) => process.listenerCount(e))).toEqual(before.map((n) => n + 1));
    const done = lc.run({
      safeStop: async (why) => {
        order.push(`safeStop ${why}`);
        await safety.safeStop(why);
      },
      stop: async (reason) => void order.push(`app stop ${reason}`),
    });
    process.emit('SIGTERM');
    expect(await done).toBe(0);
    expect(order).toEqual(['safeStop SIGTERM', 'pump safe: exit:SIGTERM', 'app stop SIGTERM']);
    // Before issue 15 the pump's exit safety logged the signal too (two lines for one SIGTERM).
    expect(logger.lines.filter((l) => JSON.stringify(l).includes('SIGTERM'))).toHaveLength(1);
    expect(EVENTS.map((e) => process.listenerCount(e))).toEqual(before);
  });

  it('a fatal error names the exit `crash` for the pump and ends with code 1; other requests name it `shutdown`', async () => {
    const whys: string[] = [];
    const target = { safeStop: async (why: string) => void whys.push(why), stop: async () => undefined };
    const a = createLifecycle({ logger: memoryLogger('info'), hardExitMs: 5000 });
    const doneA = a.run(target);
    a.request('uncaught exception', 1);
    expect(await doneA).toBe(1);
    const b = createLifecycle({ logger: memoryLogger('info'), hardExitMs: 5000 });
    const doneB = b.run(target);
    b.request('demo finished', 0);
    expect(await doneB).toBe(0);
    expect(whys).toEqual(['crash', 'shutdown']);
  });

  it('a safe stop that fails is logged and the app stop still runs', async () => {
    const logger = memoryLogger('info');
    const stops: string[] = [];
    const lc = createLifecycle({ logger, hardExitMs: 5000 });
    const done = lc.run({ safeStop: () => Promise.reject(new Error('driver gone')), stop: async (r) => void stops.push(r) });
    lc.request('SIGINT', 0);
    expect(await done).toBe(0);
    expect(stops).toEqual(['SIGINT']);
    expect(logger.lines.some((l) => l.msg === 'safe stop failed')).toBe(true);
  });
});
