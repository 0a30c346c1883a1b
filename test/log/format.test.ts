import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formattedDestination, journalLine, prettyLine, resolveLogFormat } from '../../src/log/format.js';

const line = JSON.stringify({ level: 50, time: Date.UTC(2026, 0, 1, 12, 0, 5), ns: 'pump', msg: 'state write failed', path: '/var/lib/x y' });

describe('log formats', () => {
  it('auto: pretty on a TTY, journal when stdout is $JOURNAL_STREAM, JSON otherwise; explicit choices win', () => {
    expect(resolveLogFormat('auto', { isTTY: true, env: {} })).toBe('pretty');
    expect(resolveLogFormat('auto', { isTTY: false, env: {}, stdoutId: '1:2' })).toBe('json');
    expect(resolveLogFormat('auto', { isTTY: false, env: { JOURNAL_STREAM: '1:2' }, stdoutId: '1:2' })).toBe('journal');
    // A JOURNAL_STREAM inherited by a process whose stdout was redirected elsewhere is not the journal.
    expect(resolveLogFormat('auto', { isTTY: false, env: { JOURNAL_STREAM: '1:2' }, stdoutId: '1:3' })).toBe('json');
    expect(resolveLogFormat('json', { isTTY: true, env: {} })).toBe('json');
    expect(resolveLogFormat('pretty', { isTTY: false, env: { JOURNAL_STREAM: '1:2' }, stdoutId: '1:2' })).toBe('pretty');
  });

  it('pretty lines are human (time, level, namespace, message, fields), coloured unless NO_COLOR', () => {
    expect(prettyLine(line)).toBe('12:00:05 ERROR pump: state write failed  path="/var/lib/x y"\n');
    expect(prettyLine(line, true)).toContain('\x1b[31mERROR\x1b[0m');
    const out: string[] = [];
    formattedDestination('pretty', (t) => out.push(t), { NO_COLOR: '1' }).write(`${line}\n`);
    expect(out[0]).not.toContain('\x1b[');
    expect(prettyLine('not json')).toBe('not json\n');
  });

  it('journal lines keep the JSON whole behind the sd-daemon priority of their level', () => {
    expect(journalLine(line)).toBe(`<3>${line}\n`);
    const lv = (n: number): string => journalLine(JSON.stringify({ level: n, msg: 'x' })).slice(0, 3);
    expect([10, 20, 30, 40, 50, 60].map(lv)).toEqual(['<7>', '<7>', '<6>', '<4>', '<3>', '<2>']);
  });
});

// The real command: what `run` writes to a file standing in for the journal's stream, and with --log-format.
async function runNode(args: string[], env: Record<string, string>, stdoutFd?: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'wfe-logfmt-'));
  const cfg = join(dir, 'c.yaml');
  writeFileSync(cfg, `node: { id: logfmt }\nroles: [pump]\nstateDir: ${join(dir, 'state')}\nmqtt: { url: "mqtt://127.0.0.1:1" }\npump: { driver: mock }\nhttp: { enabled: false }\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'run', '--config', cfg, ...args], {
    env: { ...process.env, MQTT_URL: '', NODE_ID: '', LOG_LEVEL: '', JOURNAL_STREAM: '', ...env },
    stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
  // Stop it once it has logged its start; the stop lines follow.
  const timer = setInterval(() => {
    const text = stdoutFd === undefined ? out : readFileSync(`/proc/self/fd/${stdoutFd}`, 'utf8');
    if (/started|node started|parts started/i.test(text) || text.split('\n').length > 3) child.kill('SIGTERM');
  }, 100);
  await new Promise<void>((resolve) => child.on('exit', () => resolve()));
  clearInterval(timer);
  return stdoutFd === undefined ? out : readFileSync(`/proc/self/fd/${stdoutFd}`, 'utf8');
}

describe('run --log-format', () => {
  it('pretty on request: human lines, no JSON', async () => {
    const out = await runNode(['--log-format', 'pretty'], { NO_COLOR: '1' });
    expect(out).toMatch(/^\d\d:\d\d:\d\d INFO {2}app: config loaded/m);
    expect(out).not.toMatch(/^\{/m);
  });

  it('auto under systemd (stdout = $JOURNAL_STREAM): every line is JSON behind its priority', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wfe-journal-')), 'journal');
    const fd = openSync(file, 'w+');
    const st = fstatSync(fd);
    const out = await runNode([], { JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd);
    closeSync(fd);
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) {
      const m = /^<(\d)>(\{.*\})$/.exec(l);
      expect(m, l).not.toBeNull();
      expect(JSON.parse(m![2]).msg).toBeTypeOf('string');
    }
  });

  it('auto on a pipe: plain JSON lines (what log shippers and the tests read)', async () => {
    const out = await runNode([], {});
    for (const l of out.trim().split('\n')) expect(() => JSON.parse(l), l).not.toThrow();
  });

  it('an unknown --log-format is a usage error', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'run', '--config', 'x.yaml', '--log-format', 'xml'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(err).toMatch(/--log-format must be one of auto, json, pretty/);
  });
});
