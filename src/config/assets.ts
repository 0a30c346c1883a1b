import { DEFAULT_MODEL, defaultThreshold } from '../detect/config.js';
import { resolveAsset } from '../app/paths.js';

/**
 * Defaults that come from shipped files rather than the schema: the default model's operating
 * threshold lives in its sidecar (`models/wfe-firesmoke-320.json`). The detect schema reads it
 * relative to the working directory; a bundle started from elsewhere (the demo from a copy of
 * dist/, a hand-run node) would silently fall back to 0.5. So when the config uses the default
 * model and sets no threshold, the sidecar beside the shipped assets supplies it. An explicit
 * `detect.threshold` always wins.
 */
export function applyAssetDefaults(raw: Record<string, unknown>): Record<string, unknown> {
  const detect = (raw.detect && typeof raw.detect === 'object' && !Array.isArray(raw.detect) ? raw.detect : {}) as Record<string, unknown>;
  if (detect.threshold !== undefined) return raw;
  if (detect.model !== undefined && detect.model !== DEFAULT_MODEL) return raw;
  const sidecar = resolveAsset(DEFAULT_MODEL.replace(/\.onnx$/, '.json'));
  return { ...raw, detect: { ...detect, threshold: defaultThreshold(sidecar) } };
}
