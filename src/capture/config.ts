import { z } from 'zod';

/**
 * `cameras: [...]` config section (docs/detector.md "Cameras"). Owned by src/capture. Every key has a
 * default except `id` and `url` (only the site knows them); misspelt keys are errors (strict).
 */

/** URL forms a camera may use; anything else is refused with this list in the message. */
export const CAMERA_URL_FORMS = 'rtsp://, rtsps://, http(s)://, file://, a file path, v4l2:///dev/videoN, rpicam:, dir:///folder, lavfi:<graph>';

/** Which source a URL selects (docs/detector.md table). */
export type CameraUrlKind = 'rtsp' | 'http' | 'file' | 'v4l2' | 'rpicam' | 'dir' | 'lavfi';

/** Classifies a camera URL; null when it matches no supported form. */
/**
 * Seconds of byte-identical frames after which the camera is stale, 0 = never. A frozen picture is
 * a fault of a live camera (issue 12 item 4); a file or image folder that repeats one picture (the
 * demo, a looping test folder) does so on purpose, so local sources default to off.
 */
export function effectiveStaleSeconds(c: { url: string; stallSeconds: number; staleSeconds?: number | undefined }): number {
  if (c.staleSeconds !== undefined) return c.staleSeconds;
  const kind = cameraUrlKind(c.url);
  return kind === 'file' || kind === 'dir' || kind === 'lavfi' ? 0 : c.stallSeconds;
}

export function cameraUrlKind(url: string): CameraUrlKind | null {
  if (/^rtsps?:\/\//i.test(url)) return 'rtsp';
  if (/^https?:\/\//i.test(url)) return 'http';
  if (/^v4l2:\/\//i.test(url)) return 'v4l2';
  if (/^rpicam:/i.test(url)) return 'rpicam';
  if (/^dir:\/\//i.test(url)) return 'dir';
  if (/^lavfi:/i.test(url)) return 'lavfi';
  if (/^file:\/\//i.test(url)) return 'file';
  // Any other scheme (ftp://, udp://...) is not supported; a bare path is a file.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return null;
  return 'file';
}

/**
 * A network URL (rtsp, http) must parse and its credentials must decode: a password with a raw `%`
 * or `@` otherwise failed only when the source was opened. Returns the problem, or null.
 */
export function networkUrlProblem(url: string): string | null {
  const kind = cameraUrlKind(url);
  if (kind !== 'rtsp' && kind !== 'http') return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a valid URL (percent-encode special characters in the user name and password: % as %25, @ as %40, : as %3A)';
  }
  // A raw `@` in the password makes the URL parser split at the last `@`: the host would be wrong
  // and the rest of the password could reach logs. Refuse instead of guessing.
  const authority = url.slice(url.indexOf('//') + 2).split('/')[0];
  if (authority.indexOf('@') !== authority.lastIndexOf('@')) return 'the user name or password contains a raw "@": write it as %40';
  try {
    decodeURIComponent(u.username);
    decodeURIComponent(u.password);
  } catch {
    return 'the user name or password has a "%" that is not a valid escape: write % as %25';
  }
  if (!u.hostname) return 'no host name';
  return null;
}

/** A MAC address as written by people and cameras (`aa:bb:..`, `AA-BB-..`, `aabb..`), normalised to `aa:bb:cc:dd:ee:ff`. */
export function normaliseMac(mac: string): string | null {
  const hex = mac.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (hex.length !== 12 || !/^[0-9a-f:.\- ]+$/i.test(mac.trim())) return null;
  return hex.match(/../g)!.join(':');
}

/**
 * `cameras[].onvif`: who the camera is, independent of its address (issue 16). Discovery matches a
 * device by serial (GetDeviceInformation) or MAC (GetNetworkInterfaces); both given, both must match.
 */
export const cameraOnvifSchema = z
  .strictObject({
    serial: z.string().min(1).max(128).optional().describe('Serial number as GetDeviceInformation reports it (`wildfire-edge discover` prints it).'),
    mac: z
      .string()
      .refine((m) => normaliseMac(m) !== null, 'a MAC address: six hex pairs, e.g. 00:11:22:33:44:55')
      .optional()
      .describe('MAC address of the camera (GetNetworkInterfaces), any of aa:bb:.., AA-BB-.., aabb..'),
    profile: z.string().min(1).max(64).optional().describe('Profile token or name whose stream to use; default: the first profile (usually the main stream).'),
  })
  .refine((o) => o.serial !== undefined || o.mac !== undefined, { message: 'onvif needs serial or mac' });
/** A camera's ONVIF identity. */
export type CameraOnvifIdentity = z.infer<typeof cameraOnvifSchema>;

/** One entry of `cameras: [...]`. */
export const cameraConfigSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'camera ids match [A-Za-z0-9_-]+').describe('Camera id, used in topics (camera/<id>/status).'),
    url: z
      .string()
      .default('')
      .refine((u) => u === '' || cameraUrlKind(u) !== null, `unsupported camera url; use one of ${CAMERA_URL_FORMS}`)
      .superRefine((u, ctx) => {
        const problem = networkUrlProblem(u);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe(`Source: ${CAMERA_URL_FORMS}. Credentials in it are never logged. May be left out when \`onvif\` names the camera: discovery then finds its stream URL.`),
    onvif: cameraOnvifSchema.optional().describe('ONVIF identity (serial and/or MAC): discovery finds the camera by it, takes its stream URL from GetStreamUri and follows it to a new address; the camera keeps its id.'),
    enabled: z.boolean().default(true).describe('A disabled camera is not started.'),
    fps: z.number().gt(0).max(30).default(2).describe('Frames per second taken from the camera (ffmpeg fps filter).'),
    width: z.number().int().min(32).max(3840).default(640).describe('Frame width delivered to the detector (scaled by ffmpeg/sharp).'),
    height: z.number().int().min(32).max(2160).default(360).describe('Frame height delivered to the detector.'),
    loop: z.boolean().default(false).describe('Video files and image folders start over at the end.'),
    rtspTransport: z.enum(['tcp', 'udp']).default('tcp').describe('RTSP transport (udp for servers without interleaved TCP).'),
    httpMode: z.enum(['stream', 'snapshot']).default('stream').describe('http(s) cameras: an MJPEG stream (ffmpeg) or a snapshot URL polled at fps.'),
    stallSeconds: z.number().gt(0).max(3600).default(20).describe('No complete frame for this long restarts the source.'),
    staleSeconds: z
      .number()
      .min(0)
      .max(3600)
      .optional()
      .describe(
        'Frames that stay byte-identical (a hash of a few rows) this long mark the camera stale (offline) and restart its source; default: stallSeconds for cameras (rtsp, http, v4l2, rpicam), 0 (off) for files, image folders and lavfi, whose repeated pictures are intended (a looping demo folder); 0 turns the check off (a camera whose picture never changes at all).',
      ),
    timeoutSeconds: z.number().gt(0).max(300).default(10).describe('Network socket timeout of RTSP/HTTP sources.'),
    restartMinSeconds: z.number().gt(0).max(600).default(2).describe('First restart delay after a failure (jittered, doubling).'),
    restartMaxSeconds: z.number().gt(0).max(3600).default(60).describe('Longest restart delay.'),
    maxRestarts: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(0)
      .describe('Consecutive failed restarts before the camera gives up with status error (0: never give up).'),
  })
  .refine((c) => c.url !== '' || c.onvif !== undefined, { message: 'a camera needs a url, or an onvif identity ({serial} or {mac}) for discovery to find it by', path: ['url'] })
  .refine((c) => c.restartMaxSeconds >= c.restartMinSeconds, { message: 'restartMaxSeconds must be ≥ restartMinSeconds', path: ['restartMaxSeconds'] })
  .refine((c) => c.width % 2 === 0 && c.height % 2 === 0, { message: 'width and height must be even (video scalers need it)', path: ['width'] });
/** A validated camera entry with defaults applied. */
export type CameraConfig = z.infer<typeof cameraConfigSchema>;
/** A camera entry as written in a config file (defaults not yet applied). */
export type CameraConfigInput = z.input<typeof cameraConfigSchema>;

/** `cameras` config section. */
export const camerasConfigSchema = z.array(cameraConfigSchema).default([]);
