import { createHash } from 'node:crypto';
import { escapeHtml } from './status.js';

/**
 * The status page: one self-contained HTML document (no build step, no CDN, no framework: it must
 * stay light on a Pi). Data arrives as JSON over SSE (`/events`, polling `/api/status` as the
 * fallback) and is rendered with `textContent`/`setAttribute`/`createElementNS` only, never
 * `innerHTML`, so camera ids, error strings and reasons cannot inject markup. The inline script and
 * style are pinned by hash in the CSP; SVG colours are presentation attributes, not inline styles.
 *
 * What a person needs first is the banner (WATCHING / FIRE CONFIRMED / PUMP RUNNING / PUMP ERROR /
 * DISARMED); then the incident timeline (per camera: detection score and box area over the growth
 * window with the rule's early/late medians, the trigger moment, and the pump's states on the same
 * time axis); camera tiles with the last snapshot and the boxes consensus tracks; then the details.
 * When updates stop (the node died, the network went), the page says "stale since HH:MM:SS",
 * greys everything out and keeps reconnecting: a dead node never looks healthy.
 */

const STYLE = `
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f4f4f2;color:#222}
header{display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:center;padding:.6em 1em;background:#222;color:#fff}
header h1{font-size:1.1em;margin:0}
.badge{padding:.15em .6em;border-radius:1em;font-weight:600;background:#888;color:#fff;white-space:nowrap}
.ok,.online,.CONNECTED,.WATCHING{background:#2e7d32}.degraded,.DISARMED,.RECONNECTING,.CONNECTING{background:#ef6c00}
.failed,.ERROR,.offline,.error,.FAILED,.PUMP_ERROR{background:#c62828}
#banner.WATCHING{background:#2e7d32}#banner.DISARMED{background:#ef6c00}#banner.PUMP_ERROR{background:#c62828}#banner.PUMP_RUNNING{background:#1565c0}#banner.STALE{background:#616161}#banner.FIRE_CONFIRMED,.FIRE_CONFIRMED{background:#b71c1c}.PUMP_RUNNING,.RUNNING,.PRIMING,.STARTING{background:#1565c0}.STALE{background:#616161}
#banner{margin:1em 1em 0;padding:.7em 1em;border-radius:8px;color:#fff;font-size:1.6em;font-weight:700;letter-spacing:.03em;background-color:#888}
#banner small{display:block;font-size:.5em;font-weight:400;letter-spacing:0;opacity:.95}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,320px),1fr));gap:1em;padding:1em}
section{background:#fff;border-radius:6px;padding:.8em 1em;box-shadow:0 1px 2px #0002;min-width:0}
h2{font-size:1em;margin:.1em 0 .6em}
table{border-collapse:collapse;width:100%;table-layout:fixed}
td,th{text-align:left;padding:.15em .4em;border-bottom:1px solid #eee;font-size:.92em;overflow-wrap:anywhere;vertical-align:top}
th{width:38%;font-weight:600}
.events td:nth-child(1){width:5.5em}.events td:nth-child(2){width:30%}
.lamp{display:inline-block;width:.8em;height:.8em;border-radius:50%;background:#ccc;margin-right:.4em;vertical-align:-.05em}
.on{background:#43a047;box-shadow:0 0 4px #43a047}.null{background:#fff;border:1px solid #bbb}
.cams{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,220px),1fr));gap:.6em}
.cam{min-width:0}.frame{position:relative;background:#ddd;aspect-ratio:16/9;overflow:hidden}
.frame img{width:100%;height:100%;object-fit:fill;display:block}
.frame svg{position:absolute;inset:0;width:100%;height:100%}
ul{margin:.2em 0;padding-left:1.2em}.muted{color:#777}.wide{grid-column:1/-1}
.timeline svg{display:block}
.legend{font-size:.85em;color:#555;margin-top:.3em}
.stale main,.stale #banner{filter:grayscale(1);opacity:.55}
`;

const SCRIPT = `
"use strict";
var SVGNS = "http://www.w3.org/2000/svg";
function h(tag, attrs, kids) {
  var e = document.createElement(tag);
  for (var k in attrs || {}) e.setAttribute(k, String(attrs[k]));
  (kids || []).forEach(function (c) { e.appendChild(typeof c === "object" && c ? c : document.createTextNode(c == null ? "" : String(c))); });
  return e;
}
function s(tag, attrs, text) {
  var e = document.createElementNS(SVGNS, tag);
  for (var k in attrs || {}) e.setAttribute(k, String(attrs[k]));
  if (text != null) e.textContent = String(text);
  return e;
}
function fill(id, nodes) { var el = document.getElementById(id); el.replaceChildren.apply(el, nodes); }
function row(k, v) { return h("tr", {}, [h("th", {}, [k]), h("td", {}, [v])]); }
function lamp(v) { return h("span", { "class": "lamp " + (v === true ? "on" : v === null ? "null" : "") }); }
function clock(ms) { return ms ? new Date(ms).toLocaleTimeString([], { hour12: false }) : "-"; }
var RUNNING = { PRIMING: 1, STARTING: 1, RUNNING: 1, REDUCING_RPM: 1, STOPPING: 1, MANUAL_VALVE: 1 };
var STATE_COLOURS = { IDLE: "#bdbdbd", MANUAL_VALVE: "#7e57c2", PRIMING: "#42a5f5", STARTING: "#ffa726", RUNNING: "#43a047", REDUCING_RPM: "#66bb6a", STOPPING: "#ffca28", REFILLING: "#26c6da", COOLDOWN: "#90a4ae", ERROR: "#e53935" };
var LABEL_COLOURS = { fire: "#e53935", smoke: "#546e7a" };
var lastOk = 0, lastStatus = null, staleAfter = 6000, es = null;

function banner(st) {
  var p = st.pump, c = st.consensus, cams = st.cameras || [];
  if (p && p.state === "ERROR") return ["PUMP ERROR", "PUMP_ERROR", p.error || "the pump will not start until an operator sends reset"];
  if (p && RUNNING[p.state]) return ["PUMP RUNNING", "PUMP_RUNNING", p.state + (p.lastTriggerId ? " · trigger " + p.lastTriggerId : "")];
  if (c && c.state === "triggered") return ["FIRE CONFIRMED", "FIRE_CONFIRMED", "seen by " + ((c.cameras_seeing_fire || []).join(", ") || "the cameras that voted")];
  if (p && p.armed === false) return ["DISARMED", "DISARMED", "automatic triggers are ignored; an operator must arm the pump"];
  var online = cams.filter(function (x) { return x.status === "online"; }).length;
  var detail = cams.length ? online + " of " + cams.length + " cameras online" : (c ? "consensus " + c.state : "");
  if (c && (c.cameras_seeing_fire || []).length) detail += " · fire seen by " + c.cameras_seeing_fire.join(", ") + " (" + c.cameras_seeing_fire.length + "/" + c.threshold + ")";
  return ["WATCHING", "WATCHING", detail];
}

// Every camera consensus hears, local or remote. The status combines the camera's retained
// status with its node's availability: a dead node's last retained "online" is shown as offline.
function voters(c) {
  var cams = c.cameras || [];
  if (!cams.length) return h("p", { "class": "muted" }, ["no camera heard yet"]);
  return h("table", { id: "voters" }, [h("tr", {}, [h("th", {}, ["camera"]), h("th", {}, ["node"]), h("th", {}, ["status"]), h("th", {}, ["votes"]), h("th", {}, ["last heard"])])].concat(cams.map(function (k) {
    var st = k.effectiveStatus || k.status;
    var why = k.nodeOnline === false ? " (node offline)" : "";
    return h("tr", {}, [h("td", {}, [k.id]), h("td", {}, [k.node || "-"]), h("td", {}, [h("span", { "class": "badge " + st }, [st + why])]), h("td", {}, [k.voting ? "yes" : "no"]), h("td", {}, [k.silentMs == null ? "never" : Math.round(k.silentMs / 1000) + " s ago"])]);
  })));
}

function setBanner(text, cls, detail) {
  var b = document.getElementById("banner");
  b.setAttribute("class", cls);
  b.replaceChildren(document.createTextNode(text), h("small", {}, [detail]));
}

// The incident timeline: one row per camera (score dots, box-area line, early/late medians),
// the trigger moment, and the pump's states on the same time axis.
function timeline(st) {
  // Drawn at the container's pixel width, so text stays readable from 390 px to a desktop.
  var W = Math.max(300, document.getElementById("timeline").clientWidth || 600);
  var tl = st.timeline, LEFT = W < 500 ? 58 : 80, RIGHT = 8, ROW = 64, BAND = 26;
  var cams = tl ? tl.cameras.filter(function (c) { return c.tracks.some(function (t) { return t.samples.length; }); }) : [];
  // The axis spans the evidence (zoomed in on a young incident), at most twice the growth window.
  var now = st.generatedAt, maxSpan = Math.max(60000, tl ? tl.windowMs * 2 : 0), first = now;
  cams.forEach(function (c) { c.tracks.forEach(function (t) { if (t.samples.length) first = Math.min(first, t.samples[0][0]); }); });
  var span = cams.length ? Math.min(maxSpan, Math.max(10000, (now - first) * 1.15 + 1000)) : maxSpan, t0 = now - span;
  var H = 22 + cams.length * ROW + BAND + 18;
  var svg = s("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "incident timeline" });
  function x(t) { return LEFT + (W - LEFT - RIGHT) * Math.max(0, Math.min(1, (t - t0) / span)); }
  svg.appendChild(s("text", { x: LEFT, y: H - 4, "font-size": 10, fill: "#555" }, "-" + Math.round(span / 1000) + " s"));
  svg.appendChild(s("text", { x: W - RIGHT, y: H - 4, "font-size": 10, fill: "#555", "text-anchor": "end" }, "now " + clock(now)));
  var y = 20;
  if (!cams.length) svg.appendChild(s("text", { x: LEFT, y: y + 14, "font-size": 11, fill: "#777" }, tl ? "no detections in the window" : "consensus role not on this node"));
  cams.forEach(function (cam) {
    var maxA = 0;
    cam.tracks.forEach(function (t) { t.samples.forEach(function (p) { maxA = Math.max(maxA, p[2]); }); maxA = Math.max(maxA, t.late, t.early); });
    maxA = maxA || 1;
    svg.appendChild(s("rect", { x: LEFT, y: y, width: W - LEFT - RIGHT, height: ROW - 8, fill: cam.seesFire ? "#ffebee" : "#fafafa", stroke: "#ddd" }));
    svg.appendChild(s("text", { x: 2, y: y + 14, "font-size": 11, "font-weight": 600, fill: "#222" }, cam.id));
    svg.appendChild(s("text", { x: 2, y: y + 28, "font-size": 9, fill: cam.seesFire ? "#c62828" : "#777" }, cam.seesFire ? "sees fire" : "watching"));
    var top = y + 3, hgt = ROW - 14;
    function ya(a) { return top + hgt * (1 - a / maxA); }
    function ys(v) { return top + hgt * (1 - v); }
    cam.tracks.forEach(function (t) {
      var col = LABEL_COLOURS[t.label] || "#6d4c41";
      if (t.samples.length > 1) svg.appendChild(s("polyline", { points: t.samples.map(function (p) { return x(p[0]).toFixed(1) + "," + ya(p[2]).toFixed(1); }).join(" "), fill: "none", stroke: col, "stroke-width": 1.6, "class": "area" }));
      t.samples.forEach(function (p) { svg.appendChild(s("circle", { cx: x(p[0]).toFixed(1), cy: ys(p[1]).toFixed(1), r: 1.8, fill: "#1e88e5", "class": "score" })); });
      if (t.early > 0 && t.samples.length) {
        var a = x(t.samples[0][0]), b = x(t.samples[t.samples.length - 1][0]);
        svg.appendChild(s("line", { x1: a, x2: b, y1: ya(t.early), y2: ya(t.early), stroke: col, "stroke-dasharray": "2 2", "class": "median-early" }));
        svg.appendChild(s("line", { x1: a, x2: b, y1: ya(t.late), y2: ya(t.late), stroke: col, "stroke-dasharray": "6 2", "class": "median-late" }));
        svg.appendChild(s("text", { x: b - 2, y: ya(t.late) - 2, "font-size": 8, fill: col, "text-anchor": "end" }, "late " + (t.late / (t.early || 1)).toFixed(2) + "× early"));
      }
    });
    y += ROW;
  });
  // Pump band: each state from its start to the next.
  var ps = st.pumpStates || [];
  svg.appendChild(s("text", { x: 2, y: y + 16, "font-size": 11, "font-weight": 600, fill: "#222" }, "pump"));
  ps.forEach(function (p, i) {
    var a = Math.max(p.at, t0), b = i + 1 < ps.length ? ps[i + 1].at : now;
    if (b < t0) return;
    var r = s("rect", { x: x(a).toFixed(1), y: y + 2, width: Math.max(1, x(b) - x(a)).toFixed(1), height: BAND - 6, fill: STATE_COLOURS[p.state] || "#9e9e9e", "class": "pump-state" });
    r.appendChild(s("title", {}, p.state + " from " + clock(p.at)));
    svg.appendChild(r);
    if (x(b) - x(a) > 40) svg.appendChild(s("text", { x: x(a) + 3, y: y + 16, "font-size": 9, fill: "#111" }, p.state));
  });
  if (!ps.length) svg.appendChild(s("text", { x: LEFT, y: y + 16, "font-size": 11, fill: "#777" }, "pump role not on this node"));
  // The trigger moment across every row.
  var lt = st.consensus && st.consensus.lastTrigger;
  if (lt && lt.atWallMs >= t0) {
    var tx = x(lt.atWallMs);
    svg.appendChild(s("line", { x1: tx, x2: tx, y1: 16, y2: y + BAND, stroke: "#b71c1c", "stroke-width": 2, "class": "trigger" }));
    var right = tx > W - 110;
    svg.appendChild(s("text", { x: right ? tx - 3 : tx + 3, y: 12, "font-size": 10, fill: "#b71c1c", "font-weight": 700, "text-anchor": right ? "end" : "start" }, "trigger " + clock(lt.atWallMs)));
  }
  return svg;
}

function cameraTile(st, cam) {
  var frame = h("div", { "class": "frame" });
  var t = st.snapshots[cam.id];
  if (t) frame.appendChild(h("img", { alt: "snapshot " + cam.id, src: "/snapshot/" + encodeURIComponent(cam.id) + ".jpg?t=" + t }));
  var tc = st.timeline && st.timeline.cameras.filter(function (c) { return c.id === cam.id; })[0];
  if (tc) {
    var o = s("svg", { viewBox: "0 0 1 1", preserveAspectRatio: "none" });
    tc.tracks.forEach(function (tr) {
      // Only boxes seen in the last few seconds: older tracks are history, drawn in the timeline.
      if (!tr.samples.length || tr.samples[tr.samples.length - 1][0] < st.generatedAt - 5000) return;
      var b = tr.box, col = LABEL_COLOURS[tr.label] || "#6d4c41";
      o.appendChild(s("rect", { x: b[0], y: b[1], width: b[2] - b[0], height: b[3] - b[1], fill: "none", stroke: col, "stroke-width": 2, "class": "box", "vector-effect": "non-scaling-stroke" }));
    });
    frame.appendChild(o);
  }
  return h("div", { "class": "cam" }, [frame, h("div", {}, [h("b", {}, [cam.id]), " ", h("span", { "class": "badge " + cam.status }, [cam.status]), " ", (cam.fps == null ? "-" : cam.fps) + " fps"]), cam.error ? h("div", { "class": "muted" }, [cam.error]) : ""]);
}

function pinText(p, k) {
  var pin = p.pins && p.pins[k];
  if (!pin) return "";
  var on = !!(p.outputs || {})[k];
  // Electrical level and polarity: an active-low relay is energised by LOW.
  var activeLow = (pin.level === 1) !== on;
  return " · pin " + pin.pin + " " + (pin.level === 1 ? "HIGH" : "LOW") + (activeLow ? " (active-low)" : "");
}

function render(st) {
  lastOk = Date.now();
  lastStatus = st;
  staleAfter = Math.max(6000, 3 * (st.refreshMs || 2000));
  document.body.classList.remove("stale");
  var b = banner(st);
  setBanner(b[0], b[1], b[2]);
  var hb = document.getElementById("health");
  hb.textContent = st.health.status; hb.setAttribute("class", "badge " + st.health.status);
  document.getElementById("node").textContent = st.node.id + " · v" + st.node.version + " · " + st.node.roles.join(", ");
  fill("problems", st.health.problems.length ? st.health.problems.map(function (p) { return h("li", {}, [p.message]); }) : [h("li", { "class": "muted" }, ["no problems"])]);
  var m = st.mqtt;
  fill("mqtt", m ? [h("table", {}, [row("state", h("span", { "class": "badge " + m.state }, [m.state])), row("outbox", (m.outboxDepth == null ? "-" : m.outboxDepth) + (m.outboxMax ? " / " + m.outboxMax : ""))])] : [h("p", { "class": "muted" }, ["no MQTT link"])]);
  var c = st.consensus;
  fill("consensus", c ? [h("table", {}, [row("state", c.state), row("cameras seeing fire", (c.cameras_seeing_fire || []).join(", ") || "none"), row("threshold", c.threshold == null ? "-" : c.threshold), row("last trigger", c.lastTrigger ? c.lastTrigger.id + " at " + clock(c.lastTrigger.atWallMs) : "none")]), voters(c)] : [h("p", { "class": "muted" }, ["consensus role not on this node"])]);
  var p = st.pump, pumpNodes = [];
  if (p) {
    pumpNodes.push(h("table", {}, [row("state", h("span", { "class": "badge " + p.state }, [p.state])), row("armed", String(p.armed)), row("last trigger", p.lastTriggerId || "none"), row("driver", p.driver || "-"), row("error", p.error || "none")]));
    pumpNodes.push(h("h2", {}, ["outputs"]), h("table", { "class": "pins" }, Object.keys(p.outputs || {}).map(function (k) { return row(k, h("span", {}, [lamp(p.outputs[k]), (p.outputs[k] ? "on" : "off") + pinText(p, k)])); })));
    pumpNodes.push(h("h2", {}, ["inputs"]), h("table", {}, Object.keys(p.inputs || {}).map(function (k) { var v = p.inputs[k]; return row(k, h("span", {}, [lamp(v), v === null ? "not wired" : String(v)])); })));
  } else pumpNodes.push(h("p", { "class": "muted" }, ["pump role not on this node"]));
  fill("pump", pumpNodes);
  fill("events", [h("table", { "class": "events" }, st.pumpEvents.slice().reverse().map(function (e) { return h("tr", {}, [h("td", {}, [clock(e.at)]), h("td", {}, [e.event]), h("td", {}, [(e.from || "") + (e.to ? " → " + e.to : "") + (e.reason ? " · " + e.reason : "")])]); }))]);
  fill("timeline", [timeline(st)]);
  fill("cams", (st.cameras || []).length ? st.cameras.map(function (cam) { return cameraTile(st, cam); }) : [h("p", { "class": "muted" }, ["camera role not on this node"])]);
  var d = st.discovery, dr = d && d.report;
  fill("discovery", dr ? [h("table", {}, dr.identities.map(function (i) { return row("camera " + i.camera, i.status + (i.address ? " at " + i.address : "") + (i.moves ? " · moved " + i.moves + "×" : "") + (i.reason ? " · " + i.reason : "")); }).concat(dr.cameras.map(function (c) { return row(c.address, [c.manufacturer, c.model].filter(Boolean).join(" ") + " · " + (c.serial || c.source) + " · " + (c.configured_as ? "camera " + c.configured_as : "not configured (reported only)") + (c.error ? " · " + c.error : "")); })))] : [h("p", { "class": "muted" }, [d ? "no discovery round yet" : "discovery is off on this node"])]);
  document.getElementById("updated").textContent = "updated " + clock(st.generatedAt);
}

// Staleness: no status for a few refresh periods means the node (or the way to it) is gone.
function watchdog() {
  if (!lastOk || Date.now() - lastOk <= staleAfter) return;
  if (!document.body.classList.contains("stale")) {
    document.body.classList.add("stale");
    var hb = document.getElementById("health");
    hb.textContent = "stale"; hb.setAttribute("class", "badge STALE");
    setBanner("NO UPDATES", "STALE", "stale since " + clock(lastOk) + ": the node or the network is down; reconnecting");
    document.getElementById("updated").textContent = "stale since " + clock(lastOk);
  }
  poll();
  if (es && es.readyState === 2) connect();
}
function poll() { fetch("/api/status", { cache: "no-store" }).then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); }).then(render).catch(function () {}); }
function connect() {
  if (!window.EventSource) return;
  if (es) es.close();
  es = new EventSource("/events");
  es.addEventListener("status", function (ev) { render(JSON.parse(ev.data)); });
}
connect();
poll();
setInterval(watchdog, 1000);
`;

const sha = (s: string): string => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

/** Content-Security-Policy for the page: only our own inline script/style (by hash) and same-origin data. */
export const PAGE_CSP = `default-src 'none'; script-src ${sha(SCRIPT)}; style-src ${sha(STYLE)}; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** A flame on a dark disc: the tab icon (served as `/favicon.svg`; `/favicon.ico` answers the same). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="16" fill="#222"/><path d="M16 4c2 5 7 8 7 14a7 7 0 0 1-14 0c0-3 1.5-5 3-6.5.3 2 1.2 3.3 2.5 4C14 11 15 7.5 16 4z" fill="#ff7043"/><path d="M16 15c1 2.5 3 3.6 3 6a3 3 0 0 1-6 0c0-1.6 1.2-2.6 2-3.3.2 1 .6 1.4 1 1.7-.2-1.6-.3-2.9 0-4.4z" fill="#ffd54f"/></svg>`;

/** Render the page for `nodeId` (escaped; it is the only server-side interpolation). */
export function renderPage(nodeId: string): string {
  const id = escapeHtml(nodeId);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>wildfire-edge · ${id}</title><link rel="icon" href="/favicon.svg" type="image/svg+xml"><style>${STYLE}</style></head>
<body><header><h1>wildfire-edge</h1><span id="node">${id}</span><span id="health" class="badge">…</span><span id="updated" class="muted"></span></header>
<div id="banner" role="status" aria-live="polite">…</div>
<main>
<section class="wide timeline"><h2>incident timeline</h2><div id="timeline"></div><div class="legend">blue dots: detection score (0–1) · line: box area · dashed: the growth rule's early and late medians · red line: trigger · bottom band: pump states</div></section>
<section class="wide"><h2>cameras</h2><div id="cams" class="cams"></div></section>
<section><h2>pump</h2><div id="pump"></div></section>
<section><h2>health</h2><ul id="problems"></ul></section>
<section><h2>consensus</h2><div id="consensus"></div></section>
<section><h2>MQTT</h2><div id="mqtt"></div></section>
<section class="wide"><h2>pump events</h2><div id="events"></div></section>
<section class="wide"><h2>discovery</h2><div id="discovery"></div></section>
</main><script>${SCRIPT}</script></body></html>`;
}
