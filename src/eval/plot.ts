/**
 * The eval tool's precision/recall plot as an SVG string (converted to PNG by the caller with
 * sharp). Two panels: box-level precision/recall per class (the AP50 curves, when boxes exist) and
 * image-level recall per class against the false-alarm rate over the threshold sweep, with the
 * operating threshold marked. Pure: values in, markup out.
 */

/** A curve of (x, y) points in [0, 1]² with a legend name. */
export interface Series {
  name: string;
  points: ReadonlyArray<{ x: number; y: number }>;
  /** A highlighted point (the operating threshold), if any. */
  mark?: { x: number; y: number; label: string };
}

/** One panel: title, axis names and curves. */
export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Largest x shown (a false-alarm axis reads better zoomed to where the curves are) [1]. */
  xMax?: number;
}

const COLOURS = ['#d9480f', '#495057', '#1971c2', '#2f9e44', '#ae3ec9', '#f08c00'];
const W = 460;
const H = 400;
const M = { l: 56, r: 16, t: 36, b: 48 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (v: number) => (Math.round(v * 10) / 10).toString();

function panel(p: Panel, ox: number): string {
  const xMax = p.xMax && p.xMax > 0 ? p.xMax : 1;
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const X = (x: number) => ox + M.l + (Math.min(x, xMax) / xMax) * pw;
  const Y = (y: number) => M.t + (1 - Math.min(1, Math.max(0, y))) * ph;
  const out: string[] = [];
  out.push(`<text x="${f(ox + W / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(p.title)}</text>`);
  out.push(`<rect x="${f(X(0))}" y="${f(Y(1))}" width="${f(pw)}" height="${f(ph)}" fill="none" stroke="#868e96"/>`);
  for (let i = 0; i <= 5; i++) {
    const gx = (xMax * i) / 5;
    const gy = i / 5;
    out.push(`<line x1="${f(X(gx))}" y1="${f(Y(0))}" x2="${f(X(gx))}" y2="${f(Y(1))}" stroke="#e9ecef"/>`);
    out.push(`<line x1="${f(X(0))}" y1="${f(Y(gy))}" x2="${f(X(xMax))}" y2="${f(Y(gy))}" stroke="#e9ecef"/>`);
    out.push(`<text x="${f(X(gx))}" y="${f(Y(0) + 16)}" text-anchor="middle" font-size="11">${gx.toFixed(2)}</text>`);
    out.push(`<text x="${f(X(0) - 6)}" y="${f(Y(gy) + 4)}" text-anchor="end" font-size="11">${gy.toFixed(1)}</text>`);
  }
  out.push(`<text x="${f(ox + M.l + pw / 2)}" y="${H - 10}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`);
  out.push(`<text x="${f(ox + 14)}" y="${f(M.t + ph / 2)}" transform="rotate(-90 ${f(ox + 14)} ${f(M.t + ph / 2)})" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`);
  p.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    if (s.points.length > 0) {
      const d = s.points.map((pt, j) => `${j ? 'L' : 'M'}${f(X(pt.x))},${f(Y(pt.y))}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    }
    if (s.mark) {
      out.push(`<circle cx="${f(X(s.mark.x))}" cy="${f(Y(s.mark.y))}" r="5" fill="${colour}" stroke="#000"/>`);
      out.push(`<text x="${f(X(s.mark.x) + 8)}" y="${f(Y(s.mark.y) + 14)}" font-size="11">${esc(s.mark.label)}</text>`);
    }
    // Legend in the lower-left corner, where PR and recall/false-alarm curves rarely pass.
    const ly = Y(0) - 12 - (p.series.length - 1 - i) * 16;
    out.push(`<line x1="${f(X(0) + 10)}" y1="${f(ly - 4)}" x2="${f(X(0) + 30)}" y2="${f(ly - 4)}" stroke="${colour}" stroke-width="3"/>`);
    out.push(`<text x="${f(X(0) + 36)}" y="${f(ly)}" font-size="11">${esc(s.name)}</text>`);
  });
  if (p.series.length === 0) out.push(`<text x="${f(ox + W / 2)}" y="${f(M.t + ph / 2)}" text-anchor="middle" font-size="13" fill="#868e96">no data</text>`);
  return out.join('\n');
}

/** Renders the panels side by side into one standalone SVG document. */
export function renderPlot(panels: readonly Panel[], caption: string): string {
  const width = W * Math.max(1, panels.length);
  const height = H + 22;
  const body = panels.map((p, i) => panel(p, i * W)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    body,
    `<text x="8" y="${height - 6}" font-size="11" fill="#495057">${esc(caption)}</text>`,
    '</svg>',
  ].join('\n');
}
