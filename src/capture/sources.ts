/**
 * The source factory: picks the implementation for a camera URL (DETECTOR.md table). Image folders
 * use sharp so the demo works without ffmpeg; every other form goes through ffmpeg.
 */
import { cameraUrlKind } from './config.js';
import { createDirSource } from './dir-source.js';
import { createFfmpegSource, type FfmpegSourceOptions } from './ffmpeg-source.js';
import type { SourceFactory } from './source.js';

/** The production source factory (`ffmpeg` options for tests and odd installs). */
export function defaultSourceFactory(ffmpeg: FfmpegSourceOptions = {}): SourceFactory {
  return (spec, handlers) => (cameraUrlKind(spec.url) === 'dir' ? createDirSource(spec, handlers) : createFfmpegSource(spec, handlers, ffmpeg));
}
