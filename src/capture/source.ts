/**
 * The frame source interface (docs/detector.md "Cameras"): every source kind (ffmpeg for RTSP, files,
 * v4l2, rpicam, HTTP, lavfi; sharp for image folders) delivers fixed-size rgb24 frames through the
 * same callbacks, and every implementation runs the one shared contract suite
 * (test/capture/source-contract.ts).
 */

/** Why a source ended by itself. */
export interface SourceEnd {
  /**
   * `eof`: the input ended normally (end of a file or folder, stream closed);
   * `error`: the input failed (missing file, corrupt data, connection refused, process crash);
   * `stale`: the input stopped delivering new pictures although the source still runs (ffmpeg
   * reported a read timeout: what it writes after that is old, buffered frames).
   */
  kind: 'eof' | 'error' | 'stale';
  /** Human-readable reason with credentials redacted. */
  message: string;
}

/** Callbacks a source delivers to. */
export interface SourceHandlers {
  /** One complete frame of exactly `width × height × 3` bytes; the buffer is only valid during the call. */
  onFrame(frame: Uint8Array): void;
  /** The source ended by itself (called at most once, never after stop()). */
  onEnd(end: SourceEnd): void;
}

/** A running frame source. */
export interface FrameSource {
  /** Begins producing frames. */
  start(): void;
  /** Stops and releases everything (processes, timers); no callback fires after it resolves. */
  stop(): Promise<void>;
}

/** What a factory needs to build a source. */
export interface SourceSpec {
  url: string;
  width: number;
  height: number;
  fps: number;
  loop: boolean;
  rtspTransport: 'tcp' | 'udp';
  timeoutSeconds: number;
  /** `http(s)://` URLs: an MJPEG (or other) stream through ffmpeg, or a polled snapshot URL [stream]. */
  httpMode?: 'stream' | 'snapshot';
}

/** Builds a source for one camera. */
export type SourceFactory = (spec: SourceSpec, handlers: SourceHandlers) => FrameSource;
