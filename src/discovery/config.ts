import { z } from 'zod';

/**
 * `discovery:` config section (issue 16), owned by src/discovery. Discovery proposes, the config
 * decides: what it finds is reported, never started; only cameras in `cameras:` feed consensus.
 */
export const discoveryConfigSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Run discovery in the node (at start and every intervalSeconds). Cameras with an onvif identity turn it on by themselves; `wildfire-edge discover` runs it regardless.'),
    interfaces: z
      .array(z.string().min(1).max(32))
      .default([])
      .describe('Network interfaces to probe (names, e.g. eth0, wlan0); default: every non-loopback IPv4 interface.'),
    intervalSeconds: z.number().min(5).max(86_400).default(60).describe('Seconds between discovery rounds; a moved camera is followed within one round.'),
    probeSeconds: z.number().gt(0).max(30).default(3).describe('How long a round listens for WS-Discovery ProbeMatches and mDNS answers.'),
    deviceTimeoutSeconds: z.number().gt(0).max(120).default(5).describe('Deadline for all ONVIF queries to one device (slow or stalling devices are cut off and counted).'),
    maxResponseBytes: z
      .number()
      .int()
      .min(4096)
      .max(16 * 1024 * 1024)
      .default(256 * 1024)
      .describe('Largest ONVIF SOAP response accepted; a larger one is cut off and counted (a device cannot fill memory).'),
    mdns: z.boolean().default(true).describe('Browse mDNS/DNS-SD for _rtsp._tcp and _onvif._tcp services as well.'),
    credentials: z
      .strictObject({
        username: z.string().max(256).default('').describe('ONVIF user for the site\'s cameras (also put into discovered RTSP URLs). Never logged.'),
        password: z.string().max(256).default('').describe('Its password. Never logged or reported.'),
      })
      .prefault({})
      .describe('Camera credentials used for ONVIF queries (WS-Security/Digest).'),
  })
  .prefault({});

/** The validated `discovery` section. */
export type DiscoveryConfig = z.infer<typeof discoveryConfigSchema>;
