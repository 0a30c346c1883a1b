#!/usr/bin/env python3
"""Render the model card's evaluation tables from the eval tool's last output line (JSON).

Usage: npx tsx src/main.ts eval … | tail -1 > /tmp/eval.json; models/eval-tables.py /tmp/eval.json
Prints markdown: the per-set table at the operating threshold, the hard negatives, per-class false
alarms and the threshold sweep (both sets together), so the card's figures are copied, not retyped.
"""
import json
import sys


def frac(x):
    if x is None or x.get('rate') is None:
        return '-'
    ci = x['ci95']
    return f"{x['rate']:.3f} [{ci['low']:.3f}, {ci['high']:.3f}] ({x['k']}/{x['n']})"


def at_false_alarm(d):
    a = d.get('atFalseAlarm')
    if not a or a.get('threshold') is None:
        return
    print(f"\nAt false alarms <= {a['target']} of the images with neither class (both sets pooled): threshold "
          f"{a['threshold']:.4f}, false alarms {frac(a['all']['falseAlarm'])}, hard negatives {frac(a['all']['hardFalseAlarm'])}.\n")
    print('| set | fire recall [95 % CI] | smoke recall [95 % CI] | any-class recall |')
    print('|---|---|---|---|')
    for s in a['datasets'] + [{'name': 'all', 'level': a['all']}]:
        lv = s['level']
        name = '**both together**' if s['name'] == 'all' else f"`{s['name']}/` val"
        print(f"| {name} | {frac(lv['recall'][0])} | {frac(lv['recall'][1])} | {frac(lv['anyRecall'])} |")


def main():
    d = json.load(open(sys.argv[1]))
    if len(sys.argv) > 2 and sys.argv[2] == '--at-false-alarm-only':
        at_false_alarm(d)
        return
    print(f"Operating threshold **{d['threshold']}** ({d['thresholdSource']}); {d['msPerImage']:.1f} ms/image incl. JPEG decode.\n")
    print('| set | images | fire recall [95 % CI] | smoke recall [95 % CI] | any-class recall on fire/smoke images '
          '| false alarms on images with neither (any box) | fire AP50 | smoke AP50 |')
    print('|---|---|---|---|---|---|---|---|')
    for s in d['datasets'] + [d['all']]:
        op = s['operating']
        ap = s.get('ap50') or []
        boxes = s.get('boxes') or []
        aps = [f'{a:.3f} ({b} boxes)' if a is not None and b else '-' for a, b in zip(ap, boxes)] or ['-', '-']
        name = '**both together**' if s['name'] == 'all' else f"`{s['name']}/` val"
        print(f"| {name} | {s['images']} | {frac(op['recall'][0])} | {frac(op['recall'][1])} | {frac(op['anyRecall'])} "
              f"| {frac(op['falseAlarm'])} | {aps[0]} | {aps[1] if len(aps) > 1 else '-'} |")
    op = d['all']['operating']
    print(f"\nHard negatives: false alarms {frac(op['hardFalseAlarm'])}.")
    print(f"Per-class false alarms (all images without that class): fire {frac(op['classFalseAlarm'][0])}, "
          f"smoke {frac(op['classFalseAlarm'][1])}.\n")
    print('| threshold | fire recall | smoke recall | any-class recall | false alarms | hard-negative false alarms |')
    print('|---|---|---|---|---|---|')
    for r in d['sweep']:
        t = r['threshold']
        bold = '**' if abs(t - d['threshold']) < 1e-9 else ''
        hard = r['hardFalseAlarm']['rate']
        print(f"| {bold}{t:g}{bold} | {r['recall'][0]['rate']:.3f} | {r['recall'][1]['rate']:.3f} | "
              f"{r['anyRecall']['rate']:.3f} | {r['falseAlarm']['rate']:.3f} | {'-' if hard is None else f'{hard:.3f}'} |")
    print('\nFailures at the operating threshold (first of each):')
    f = d['failures']
    print('false alarms:', ', '.join(f['falseAlarms'][:12]))
    for c, ids in f['missed'].items():
        print(f'missed {c} ({len(ids)} listed):', ', '.join(ids[:12]))


if __name__ == '__main__':
    main()
