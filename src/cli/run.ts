import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createApp, createLifecycle, stopBudgetMs, STOPPED_WHILE_STARTING, type App, type PartOverrides } from '../app/index.js';
import { loadConfigFile, type LoadedConfig } from '../config/index.js';
import { formattedDestination, LOG_FORMATS, resolveLogFormat, stdoutSink, type LogFormat } from '../log/format.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { CliIo } from './io.js';

/**
 * Exit status of `run` on an invalid config: 78, EX_CONFIG of sysexits.h. deploy/wildfire-edge.service
 * lists it in RestartPreventExitStatus= (test/deploy/unit-and-scripts.test.ts keeps them equal).
 */
export const EXIT_CONFIG = 78;

/** `run --config FILE`: load, validate, start every configured part, run until a signal. */
export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, 'log-format': { type: 'string' } },
    allowPositionals: true,
  });
  const formatFlag = values['log-format'];
  if (formatFlag !== undefined && !(LOG_FORMATS as readonly string[]).includes(formatFlag)) {
    io.err(`run: --log-format must be one of ${LOG_FORMATS.join(', ')} (got "${formatFlag}")`);
    return 2;
  }
  if (positionals.length > 0) {
    io.err(`run: unexpected argument "${positionals[0]}"; usage: wildfire-edge run --config FILE`);
    return 2;
  }
  if (!values.config) {
    // Issue 7: `run` never starts on built-in defaults; the demo is the only way to get those.
    io.err('run: refusing to start without --config FILE (a node needs its cameras and pump driver from a config file).\n' +
      'Try `wildfire-edge demo` for the built-in demo, or see README.md "Configuration".');
    return 2;
  }
  const loaded = loadConfigFile(values.config, { env: io.env, writeMigrated: true });
  if (!loaded.ok) {
    // A config error does not heal by restarting: a dedicated status that the unit's
    // RestartPreventExitStatus= names, so systemd stops with this message instead of looping on it.
    // A read error (an SD card I/O hiccup) may heal, so it keeps the ordinary failure status.
    const transient = loaded.problems.some((p) => p.key === '(file)' && p.allowed.startsWith('cannot read'));
    io.err(`${loaded.reason}\nrefusing to start: edit ${values.config} (the settings named above), check it with ` +
      `\`wildfire-edge check-config ${values.config}\`, then start again (sudo systemctl start wildfire-edge).`);
    return transient ? 1 : EXIT_CONFIG;
  }
  const c = loaded.value.config;
  const format = resolveLogFormat((formatFlag as LogFormat | undefined) ?? c.log.format, io.logSink ?? stdoutSink(io.env));
  const destination = format === 'json' ? undefined : formattedDestination(format, stdoutWriter(), io.env);
  const logger = createLogger({ level: c.log.level, levels: c.log.levels, destination }, '');
  return runLoaded(loaded.value, logger);
}

/** Hooks for {@link runLoaded} callers (the demo narrates what the app does). */
export interface RunHooks {
  overrides?: PartOverrides;
  /** Called once the app is built, before it starts (subscribe to its bus here). */
  onCreated?: (app: App) => void;
  /** Called once every part started. */
  onStarted?: (app: App) => void;
}

/**
 * Start an app from a loaded config and run it until SIGTERM/SIGINT (shared with the demo). The
 * lifecycle owns signals and fatal errors: it puts the pump safe first (the app's safeStop), then
 * the rest (MQTT `offline`, outbox flush, broker) stops in order.
 */
export async function runLoaded(loaded: LoadedConfig, logger: Logger, hooks: RunHooks = {}): Promise<number> {
  const log = logger.child('app');
  log.info('config loaded', {
    source: loaded.source,
    node: loaded.config.node.id,
    env_overrides: loaded.envApplied,
    ...(loaded.migratedFrom !== undefined ? { migrated_from: loaded.migratedFrom, backup: loaded.backupPath } : {}),
  });
  // The hard exit comes after the longest clean stop (engine stop pulse included), never before.
  const lifecycle = createLifecycle({ logger, hardExitMs: stopBudgetMs(loaded.config) });
  const app = createApp({ config: loaded.config, logger, overrides: hooks.overrides });
  hooks.onCreated?.(app);
  const done = lifecycle.run(app);
  const started = await app.start();
  // A signal during the start already stopped the node: exit as that stop decided (0 for SIGTERM).
  if (!started.ok && started.reason === STOPPED_WHILE_STARTING) return done;
  if (!started.ok) {
    log.fatal('node did not start', { reason: started.reason });
    lifecycle.request('start failed', 1);
    await done;
    return 1;
  }
  hooks.onStarted?.(app);
  return done;
}

/** Synchronous writes to fd 1 (as the JSON logger does), so a crash never loses its last line. */
function stdoutWriter(): (text: string) => void {
  const dest = pino.destination({ fd: 1, sync: true });
  return (text) => void dest.write(text);
}
