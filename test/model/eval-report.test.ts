import { describe, expect, it } from 'vitest';
import type { ImageRecord } from '../../src/eval/report.js';
import { buildReport, formatReport, reportJson } from '../../src/eval/report.js';

const rec = (dataset: string, id: string, present: boolean[], maxScore: number[], gt: ImageRecord['gt'], hard = false): ImageRecord => ({
  id,
  dataset,
  present,
  hard,
  maxScore,
  gt,
  pred: maxScore.flatMap((s, c) => (s > 0 ? [{ classId: c, score: s, box: [0.1, 0.1, 0.5, 0.5] as const }] : [])),
});

describe('eval report', () => {
  const boxes = [
    rec('boxes', 'f1', [true, false], [0.9, 0], [{ classId: 0, box: [0.1, 0.1, 0.5, 0.5] }]),
    rec('boxes', 'f2', [true, false], [0.3, 0], [{ classId: 0, box: [0.6, 0.6, 0.9, 0.9] }]),
    rec('boxes', 'n1', [false, false], [0, 0.7], []),
  ];
  const photos = [rec('photos', 'p1', [false, false], [0.6, 0], null, true), rec('photos', 'p2', [false, false], [0, 0], null)];
  const r = buildReport({ model: 'm.onnx', classes: ['fire', 'smoke'], threshold: 0.5, thresholdSource: 'option', scoreFloor: 0.05, datasets: [{ name: 'boxes', records: boxes }, { name: 'photos', records: photos }], msPerImage: 3 });

  it('scores each dataset and all together, AP only where boxes exist', () => {
    expect(r.datasets.map((d) => d.images)).toEqual([3, 2]);
    expect(r.all.images).toBe(5);
    expect(r.all.operating.recall[0]).toMatchObject({ k: 1, n: 2 });
    expect(r.all.operating.falseAlarm).toMatchObject({ k: 2, n: 3 });
    expect(r.datasets[1].operating.hardFalseAlarm).toMatchObject({ k: 1, n: 1 });
    // f1's box matches, f2's prediction is elsewhere: AP 0.5 for fire; no smoke boxes at all.
    expect(r.datasets[0].ap50[0]).toBeCloseTo(0.5, 10);
    expect(r.datasets[0].ap50[1]).toBeNull();
    expect(r.datasets[1].ap50).toEqual([null, null]);
  });

  it('names the images behind the errors, tagged with their dataset', () => {
    expect(r.failures.falseAlarms).toEqual(['boxes:n1', 'photos:p1']);
    expect(r.failures.missed.fire).toEqual(['boxes:f2']);
  });

  it('prints a table with the operating row marked and ends in JSON without the curves', () => {
    const text = formatReport(r);
    expect(text).toContain('<- operating');
    expect(text).toMatch(/boxes \(3\)\s+fire\s+0\.500/);
    const json = JSON.parse(reportJson(r)) as Record<string, unknown>;
    expect(json.curves).toBeUndefined();
    expect(json.threshold).toBe(0.5);
    expect(Object.keys(json)).toContain('sweep');
  });

  it('with --at-false-alarm, reports recall per dataset at the threshold set on the pooled negatives', () => {
    // negatives (pooled): n1 0.7, p1 0.6, p2 0 -> at 1/3 one of three may alarm: just above 0.6
    const a = buildReport({ model: 'm.onnx', classes: ['fire', 'smoke'], threshold: 0.5, thresholdSource: 'option', scoreFloor: 0.05, datasets: [{ name: 'boxes', records: boxes }, { name: 'photos', records: photos }], msPerImage: 3, atFalseAlarm: 0.34 });
    const at = a.atFalseAlarm!;
    expect(at.threshold).toBeGreaterThan(0.6);
    expect(at.threshold).toBeLessThan(0.7);
    expect(at.all?.falseAlarm).toMatchObject({ k: 1, n: 3 });
    expect(at.datasets.map((d) => d.level?.recall[0].k)).toEqual([1, 0]);
    expect(at.datasets[0].level?.recall[0].n).toBe(2);
    expect(formatReport(a)).toMatch(/at false alarms <= 0\.34 .*threshold 0\.6\d+/);
    expect((JSON.parse(reportJson(a)) as { atFalseAlarm: { target: number } }).atFalseAlarm.target).toBe(0.34);
    expect(r.atFalseAlarm).toBeUndefined();
  });
});
