import { readFileSync } from 'node:fs';

/**
 * The board model from the device tree (`Raspberry Pi 5 Model B Rev 1.0`), or null off a Pi.
 * `WFE_DEVICE_MODEL_FILE` points elsewhere so tests can pretend to be a Pi.
 */
export function boardModel(env: Record<string, string | undefined> = process.env): string | null {
  const file = env.WFE_DEVICE_MODEL_FILE || '/proc/device-tree/model';
  try {
    // The device tree string ends with a NUL byte.
    return readFileSync(file, 'utf8').replace(/\0/g, '').trim() || null;
  } catch {
    return null;
  }
}

/** True on a Raspberry Pi: where the demo must not run by accident next to real relays. */
export function isRaspberryPi(env: Record<string, string | undefined> = process.env): boolean {
  return /raspberry pi/i.test(boardModel(env) ?? '');
}
