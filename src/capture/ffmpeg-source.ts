/**
 * Frame source through an ffmpeg child process (docs/detector.md "Cameras"): stdout chunks are copied
 * into one preallocated frame buffer by the {@link FrameAssembler}; stderr keeps only its last lines
 * (bounded) to explain an exit. Adapter: the only capture file besides the dir source that does I/O.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { redactUrl } from '../log/redact.js';
import { cameraUrlKind } from './config.js';
import { ffmpegCommand } from './ffmpeg-args.js';
import { FrameAssembler } from './frame-assembler.js';
import type { FrameSource, SourceHandlers, SourceSpec } from './source.js';

const STDERR_LINES = 8;

/**
 * ffmpeg's report of a network read timeout (`-timeout` / `-rw_timeout` expired: "Connection timed
 * out", ETIMEDOUT). After one, ffmpeg drains its decoder and retries: the frames it writes then are
 * old pictures, and each one used to feed the stall check, so a hung camera looked online for about
 * three timeouts. The line is the earliest sign of a hung input, so it ends the source as `stale`.
 */
export const FFMPEG_TIMEOUT_LINE = /timed out|ETIMEDOUT|Operation timed out/i;

/** Options beyond the spec (tests point `ffmpegPath` elsewhere). */
export interface FfmpegSourceOptions {
  ffmpegPath?: string;
  /** Grace before SIGKILL when stopping [2000 ms]. */
  killGraceMs?: number;
}

/** Creates an ffmpeg-backed source for any URL form but `dir://`. */
export function createFfmpegSource(spec: SourceSpec, handlers: SourceHandlers, opts: FfmpegSourceOptions = {}): FrameSource {
  const frameBytes = spec.width * spec.height * 3;
  // A network input that went silent for (nearly) its read timeout: ffmpeg's answer to the timeout
  // is to drain its decoder and fps filter, so the frame that ends the silence is a picture taken
  // BEFORE it (measured with a SIGSTOPped RTSP server: one such frame per timeout, the first one
  // before any stderr line). It is dropped, never delivered as new. Healthy frames come every 1/fps.
  const network = (() => {
    const k = cameraUrlKind(spec.url);
    return k === 'rtsp' || k === 'http';
  })();
  const lateMs = spec.timeoutSeconds * 1000 * 0.9;
  let lastFrameAt = 0;
  const assembler = new FrameAssembler(frameBytes, (f) => {
    if (stopped || ended) return;
    const now = performance.now();
    const gap = lastFrameAt > 0 ? now - lastFrameAt : 0;
    lastFrameAt = now;
    if (network && gap >= lateMs) return;
    handlers.onFrame(f);
  });
  let proc: ChildProcess | null = null;
  let feeder: ChildProcess | null = null;
  let stopped = false;
  let ended = false;
  let chunks = 0;
  const tail: string[] = [];
  let partialLine = '';

  const end = (kind: 'eof' | 'error' | 'stale', message: string) => {
    if (ended || stopped) return;
    ended = true;
    handlers.onEnd({ kind, message: redactUrl(message) });
  };
  // From here on nothing ffmpeg writes is a new picture: frames are dropped, not delivered.
  const staleInput = (line: string) => {
    if (ended || stopped) return;
    end('stale', `stale: ffmpeg reported a read timeout (no new picture from the camera): ${line}`);
  };

  return {
    start() {
      if (proc || stopped) return;
      let cmd;
      try {
        cmd = ffmpegCommand(spec);
      } catch (err) {
        queueMicrotask(() => end('error', err instanceof Error ? err.message : String(err)));
        return;
      }
      const p = spawn(opts.ffmpegPath ?? 'ffmpeg', cmd.args, { stdio: [cmd.feeder ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
      proc = p;
      if (cmd.feeder) {
        const f = spawn(cmd.feeder.cmd, cmd.feeder.args, { stdio: ['ignore', 'pipe', 'ignore'] });
        feeder = f;
        f.on('error', (err) => end('error', `${cmd.feeder?.cmd} failed to start: ${err.message}`));
        f.stdout?.pipe(p.stdin!);
        p.stdin?.on('error', () => undefined); // EPIPE when ffmpeg exits first; the exit reports it
      }
      p.stdout!.on('data', (chunk: Buffer) => {
        chunks++;
        assembler.push(chunk);
      });
      p.stderr!.setEncoding('utf8');
      p.stderr!.on('data', (s: string) => {
        // Keep only the last few lines: ffmpeg can be chatty on a broken stream.
        const lines = (partialLine + s).split('\n');
        partialLine = lines.pop() ?? '';
        for (const l of lines) {
          const t = l.trim();
          if (!t) continue;
          tail.push(t);
          if (FFMPEG_TIMEOUT_LINE.test(t)) staleInput(t);
        }
        while (tail.length > STDERR_LINES) tail.shift();
        if (partialLine.length > 4096) partialLine = partialLine.slice(-4096);
      });
      p.on('error', (err) => end('error', `ffmpeg failed to start: ${err.message}`));
      p.on('close', (code, signal) => {
        proc = null;
        if (partialLine.trim()) tail.push(partialLine.trim());
        const why = tail.slice(-3).join(' | ');
        if (code === 0) end('eof', why ? `stream ended: ${why}` : 'stream ended');
        else end('error', `ffmpeg exited with ${signal ?? `code ${code}`}${why ? `: ${why}` : ''}${chunks === 0 ? ' (no data received)' : ''}`);
      });
    },
    async stop() {
      stopped = true;
      feeder?.kill('SIGKILL');
      const p = proc;
      if (!p) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => p.kill('SIGKILL'), opts.killGraceMs ?? 2000);
        p.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        p.kill('SIGTERM');
      });
    },
  };
}
