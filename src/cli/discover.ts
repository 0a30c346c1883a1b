import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/index.js';
import { buildReport, camerasSnippet, configuredMatches, discoveryConfigSchema, discoveryRound, discoveryTable, type DiscoveryConfig } from '../discovery/index.js';
import type { CliIo } from './io.js';

/**
 * `discover [--config FILE] [--interface NAME]... [--seconds N] [--json]`: one discovery round; prints
 * the table and a `cameras:` snippet for what is not configured yet. Exit 0 when something was
 * found, 1 when nothing was (or the config is invalid), 2 on a usage error. Credentials come from
 * the config's discovery.credentials or ONVIF_USERNAME / ONVIF_PASSWORD, never from the command line
 * (where `ps` would show them), and are never printed.
 */
export async function discoverCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, interface: { type: 'string', short: 'i', multiple: true }, seconds: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length > 0) {
    io.err(`discover: unexpected argument "${positionals[0]}"; usage: wildfire-edge discover [--config FILE] [--interface NAME]... [--seconds N] [--json]`);
    return 2;
  }
  let cfg: DiscoveryConfig = discoveryConfigSchema.parse({});
  let cameras: Array<{ id: string; url: string; onvif?: { serial?: string; mac?: string } }> = [];
  if (values.config) {
    const r = loadConfigFile(values.config, { env: io.env });
    if (!r.ok) {
      io.err(r.reason);
      return 1;
    }
    cfg = r.value.config.discovery;
    cameras = r.value.config.cameras;
  }
  if (values.seconds !== undefined) {
    const s = Number(values.seconds);
    if (!Number.isFinite(s) || s <= 0 || s > 30) {
      io.err(`discover: --seconds must be a number in (0, 30] (got "${values.seconds}")`);
      return 2;
    }
    cfg = { ...cfg, probeSeconds: s };
  }
  if (values.interface?.length) cfg = { ...cfg, interfaces: values.interface };
  const user = io.env.ONVIF_USERNAME;
  const pass = io.env.ONVIF_PASSWORD;
  if (user !== undefined || pass !== undefined) cfg = { ...cfg, credentials: { username: user ?? cfg.credentials.username, password: pass ?? cfg.credentials.password } };

  const r = await discoveryRound(cfg);
  const configured = configuredMatches(cameras, r.cameras);
  if (values.json) {
    io.out(JSON.stringify(buildReport({ nodeId: 'discover', ts: Date.now(), round: 1, result: r, configured, identities: [] }), null, 2));
  } else {
    for (const e of r.errors) io.err(`discover: ${e}`);
    const on = r.interfaces.map((i) => `${i.name} (${i.address})`).join(', ') || 'no interface';
    io.out(`Probed ${on} for ${cfg.probeSeconds} s: ${r.cameras.length} camera(s).`);
    if (r.cameras.length) io.out(discoveryTable(r.cameras, configured));
    const refused = Object.entries(r.rejected).map(([k, n]) => `${k} ${n}`);
    const failed = Object.entries(r.queryFailures).map(([k, n]) => `${k} ${n}`);
    if (refused.length) io.out(`Refused answers: ${refused.join(', ')}`);
    if (failed.length) io.out(`Failed ONVIF queries: ${failed.join(', ')} (check discovery.credentials or ONVIF_USERNAME / ONVIF_PASSWORD)`);
    const snippet = camerasSnippet(r.cameras, configured, cameras.map((c) => c.id));
    if (snippet) io.out(`\nAdd to your config (the node finds these cameras by serial/MAC and uses discovery.credentials):\n\n${snippet}`);
  }
  return r.cameras.length > 0 ? 0 : 1;
}
