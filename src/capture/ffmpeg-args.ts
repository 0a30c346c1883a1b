/**
 * ffmpeg command lines per camera URL form (docs/detector.md "Cameras"). Pure, so tests can pin them.
 * Every form ends the same way: the `fps` filter limits the rate inside ffmpeg (not by dropping in
 * Node), `scale` makes every frame exactly `width × height` (a plain scale keeps normalised box
 * coordinates equal to those of the camera image), and raw `rgb24` goes to stdout, so Node does no
 * container parsing and no JPEG decoding.
 */
import { fileURLToPath } from 'node:url';
import { cameraUrlKind } from './config.js';
import type { SourceSpec } from './source.js';

/** A process to run; `feeder` (rpicam) is piped into ffmpeg's stdin. */
export interface FfmpegCommand {
  args: string[];
  feeder?: { cmd: string; args: string[] };
}

/** Local path of a `file://` URL or a bare path. */
export function filePathOf(url: string): string {
  return /^file:\/\//i.test(url) ? fileURLToPath(url) : url;
}

/** Builds the ffmpeg invocation for `spec`; throws on a URL form ffmpeg does not serve (dir://). */
export function ffmpegCommand(spec: SourceSpec): FfmpegCommand {
  const kind = cameraUrlKind(spec.url);
  const timeoutUs = String(Math.round(spec.timeoutSeconds * 1e6));
  const input: string[] = [];
  let feeder: FfmpegCommand['feeder'];
  switch (kind) {
    case 'rtsp':
      input.push('-rtsp_transport', spec.rtspTransport, '-timeout', timeoutUs, '-fflags', '+discardcorrupt');
      // At ≤ 1 fps decoding key frames only saves most of the H.264 cost on a Pi (docs/detector.md).
      if (spec.fps <= 1) input.push('-skip_frame', 'nokey');
      input.push('-i', spec.url);
      break;
    case 'http':
      input.push('-rw_timeout', timeoutUs, '-reconnect', '1', '-reconnect_streamed', '1', '-reconnect_delay_max', '5', '-fflags', '+discardcorrupt', '-i', spec.url);
      break;
    case 'file':
      // -re reads at the clip's own rate, so a file behaves like a camera (the demo and tests).
      input.push('-re');
      if (spec.loop) input.push('-stream_loop', '-1');
      input.push('-fflags', '+discardcorrupt', '-i', filePathOf(spec.url));
      break;
    case 'lavfi':
      input.push('-re', '-f', 'lavfi', '-i', spec.url.slice('lavfi:'.length));
      break;
    case 'v4l2':
      input.push('-f', 'v4l2', '-i', spec.url.replace(/^v4l2:\/\//i, '') || '/dev/video0');
      break;
    case 'rpicam':
      // The Pi camera stack is libcamera: rpicam-vid encodes, ffmpeg decodes and scales.
      feeder = {
        cmd: 'rpicam-vid',
        args: ['-t', '0', '--nopreview', '--codec', 'mjpeg', '--width', String(spec.width), '--height', String(spec.height), '--framerate', String(Math.max(1, spec.fps)), '-o', '-'],
      };
      input.push('-f', 'mjpeg', '-i', 'pipe:0');
      break;
    default:
      throw new Error(`ffmpeg does not serve ${kind ?? 'unknown'} camera urls`);
  }
  const vf = `fps=${spec.fps},scale=${spec.width}:${spec.height}:flags=bilinear`;
  const args = ['-hide_banner', '-nostats', '-loglevel', 'error', ...(feeder ? [] : ['-nostdin']), ...input, '-an', '-sn', '-dn', '-vf', vf, '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'];
  return feeder ? { args, feeder } : { args };
}
