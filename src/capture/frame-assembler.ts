/**
 * Cuts a byte stream of back-to-back fixed-size frames (ffmpeg's rawvideo stdout) into frames,
 * copying each chunk into ONE preallocated frame buffer: chunks are never concatenated and nothing
 * per frame is allocated here (docs/detector.md: what the pipe hands over per chunk is bounded).
 */
export class FrameAssembler {
  private readonly frame: Uint8Array;
  private fill = 0;

  constructor(
    readonly frameBytes: number,
    private readonly onFrame: (frame: Uint8Array) => void,
  ) {
    this.frame = new Uint8Array(frameBytes);
  }

  /** Feeds one chunk; emits every frame it completes. */
  push(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(this.frameBytes - this.fill, chunk.length - off);
      this.frame.set(chunk.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === this.frameBytes) {
        this.fill = 0;
        this.onFrame(this.frame);
      }
    }
  }

  /** Bytes of an incomplete frame held (a partial frame at stream end is discarded). */
  get partial(): number {
    return this.fill;
  }

  /** Drops a partial frame (after a restart the stream starts at a frame boundary again). */
  reset(): void {
    this.fill = 0;
  }
}
