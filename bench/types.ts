/** One figure printed by `npm run bench` (a table row and one JSON line). */
export interface BenchFigure {
  /** Stable id, e.g. `mqtt.qos1_throughput_core`. */
  name: string;
  value: number;
  unit: string;
  /** The target, when the spec sets one (e.g. `>= 0.8`). */
  goal?: string;
  /** Conditions: model used, fsync mode, camera count... */
  note?: string;
}

/** A benchmark module: bench/<part>.ts exports `run`. */
export type BenchModule = { run(): Promise<BenchFigure[]> };
