/**
 * The source factory: picks the implementation for a camera URL (docs/detector.md table). Image folders
 * and HTTP snapshot URLs use sharp (the demo works without ffmpeg); every other form goes through
 * ffmpeg.
 */
import { cameraUrlKind } from './config.js';
import { createDirSource } from './dir-source.js';
import { createHttpSnapshotSource } from './http-snapshot-source.js';
import { createFfmpegSource, type FfmpegSourceOptions } from './ffmpeg-source.js';
import type { SourceFactory } from './source.js';

/** The production source factory (`ffmpeg` options for tests and odd installs). */
export function defaultSourceFactory(ffmpeg: FfmpegSourceOptions = {}): SourceFactory {
  return (spec, handlers) => {
    const kind = cameraUrlKind(spec.url);
    if (kind === 'dir') return createDirSource(spec, handlers);
    if (kind === 'http' && spec.httpMode === 'snapshot') return createHttpSnapshotSource(spec, handlers);
    return createFfmpegSource(spec, handlers, ffmpeg);
  };
}
