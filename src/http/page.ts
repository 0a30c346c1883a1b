import { createHash } from 'node:crypto';
import { escapeHtml } from './status.js';

/**
 * The status page: one self-contained HTML document (no build step, no CDN, inline CSS and JS).
 * Data arrives as JSON over SSE (`/events`, polling `/api/status` as the fallback) and is rendered
 * with `textContent`/`setAttribute` only — never `innerHTML` — so camera ids, error strings and
 * reasons cannot inject markup. The inline script and style are pinned by hash in the CSP.
 */

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f4f4f2;color:#222}
header{display:flex;gap:1em;align-items:center;padding:.6em 1em;background:#222;color:#fff}
header h1{font-size:1.1em;margin:0}
.badge{padding:.15em .6em;border-radius:1em;font-weight:600;background:#888;color:#fff}
.ok{background:#2e7d32}.degraded{background:#ef6c00}.failed,.ERROR,.offline,.error,.FAILED{background:#c62828}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1em;padding:1em}
section{background:#fff;border-radius:6px;padding:.8em 1em;box-shadow:0 1px 2px #0002}
h2{font-size:1em;margin:.1em 0 .6em}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.15em .4em;border-bottom:1px solid #eee;font-size:.92em}
.lamp{display:inline-block;width:.8em;height:.8em;border-radius:50%;background:#ccc;margin-right:.4em;vertical-align:-.05em}
.on{background:#43a047;box-shadow:0 0 4px #43a047}.null{background:#fff;border:1px solid #bbb}
.cams{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:.6em}
.cam img{width:100%;background:#ddd;min-height:80px;display:block}
ul{margin:.2em 0;padding-left:1.2em}.muted{color:#777}.wide{grid-column:1/-1}
`;

const SCRIPT = `
"use strict";
function h(tag, attrs, kids) {
  var e = document.createElement(tag);
  for (var k in attrs || {}) e.setAttribute(k, String(attrs[k]));
  (kids || []).forEach(function (c) { e.appendChild(typeof c === "object" && c ? c : document.createTextNode(c == null ? "" : String(c))); });
  return e;
}
function fill(id, nodes) { var el = document.getElementById(id); el.replaceChildren.apply(el, nodes); }
function row(k, v) { return h("tr", {}, [h("th", {}, [k]), h("td", {}, [v])]); }
function lamp(v) { return h("span", { "class": "lamp " + (v === true ? "on" : v === null ? "null" : "") }); }
function fmtTime(ms) { return ms ? new Date(ms).toLocaleTimeString() : "-"; }
var shown = {};
function render(s) {
  var b = document.getElementById("health");
  b.textContent = s.health.status; b.setAttribute("class", "badge " + s.health.status);
  document.getElementById("node").textContent = s.node.id + " · v" + s.node.version + " · " + s.node.roles.join(", ");
  fill("problems", s.health.problems.length ? s.health.problems.map(function (p) { return h("li", {}, [p.message]); }) : [h("li", { "class": "muted" }, ["no problems"])]);
  var m = s.mqtt;
  fill("mqtt", m ? [h("table", {}, [row("state", h("span", { "class": "badge " + m.state }, [m.state])), row("outbox", (m.outboxDepth == null ? "-" : m.outboxDepth) + (m.outboxMax ? " / " + m.outboxMax : ""))])] : [h("p", { "class": "muted" }, ["no MQTT link"])]);
  var c = s.consensus;
  fill("consensus", c ? [h("table", {}, [row("state", c.state), row("cameras seeing fire", (c.cameras_seeing_fire || []).join(", ") || "none"), row("threshold", c.threshold == null ? "-" : c.threshold), row("last trigger", c.last_trigger ? c.last_trigger.id : "none")])] : [h("p", { "class": "muted" }, ["consensus role not on this node"])]);
  var p = s.pump, pumpNodes = [];
  if (p) {
    pumpNodes.push(h("table", {}, [row("state", h("span", { "class": "badge " + p.state }, [p.state])), row("armed", String(p.armed)), row("driver", p.driver || "-"), row("error", p.error || "none")]));
    pumpNodes.push(h("h2", {}, ["outputs"]), h("table", {}, Object.keys(p.outputs || {}).map(function (k) { return row(k, h("span", {}, [lamp(p.outputs[k]), p.outputs[k] ? "on" : "off"])); })));
    pumpNodes.push(h("h2", {}, ["inputs"]), h("table", {}, Object.keys(p.inputs || {}).map(function (k) { var v = p.inputs[k]; return row(k, h("span", {}, [lamp(v), v === null ? "not wired" : String(v)])); })));
  } else pumpNodes.push(h("p", { "class": "muted" }, ["pump role not on this node"]));
  pumpNodes.push(h("h2", {}, ["last events"]), h("table", {}, s.pumpEvents.slice().reverse().map(function (e) { return h("tr", {}, [h("td", {}, [fmtTime(e.at)]), h("td", {}, [e.event]), h("td", {}, [(e.from || "") + (e.to ? " → " + e.to : "")]), h("td", {}, [e.reason || ""])]); })));
  fill("pump", pumpNodes);
  fill("cams", (s.cameras || []).map(function (cam) {
    var img = h("img", { alt: "snapshot " + cam.id });
    var t = s.snapshots[cam.id];
    if (t) img.setAttribute("src", "/snapshot/" + encodeURIComponent(cam.id) + ".jpg?t=" + t);
    return h("div", { "class": "cam" }, [img, h("div", {}, [h("b", {}, [cam.id]), " ", h("span", { "class": "badge " + cam.status }, [cam.status]), " ", (cam.fps == null ? "-" : cam.fps) + " fps"]), cam.error ? h("div", { "class": "muted" }, [cam.error]) : ""]);
  }));
  document.getElementById("updated").textContent = "updated " + fmtTime(s.generatedAt);
}
function poll() { fetch("/api/status").then(function (r) { return r.json(); }).then(render).catch(function () {}); }
if (window.EventSource) {
  var es = new EventSource("/events");
  es.addEventListener("status", function (ev) { render(JSON.parse(ev.data)); });
  es.onerror = function () { poll(); };
} else setInterval(poll, 2000);
poll();
`;

const sha = (s: string): string => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

/** Content-Security-Policy for the page: only our own inline script/style (by hash) and same-origin data. */
export const PAGE_CSP = `default-src 'none'; script-src ${sha(SCRIPT)}; style-src ${sha(STYLE)}; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** Render the page for `nodeId` (escaped; it is the only server-side interpolation). */
export function renderPage(nodeId: string): string {
  const id = escapeHtml(nodeId);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>wildfire-edge · ${id}</title><style>${STYLE}</style></head>
<body><header><h1>wildfire-edge</h1><span id="node">${id}</span><span id="health" class="badge">…</span><span id="updated" class="muted"></span></header>
<main>
<section><h2>health</h2><ul id="problems"></ul></section>
<section><h2>MQTT</h2><div id="mqtt"></div></section>
<section><h2>consensus</h2><div id="consensus"></div></section>
<section><h2>pump</h2><div id="pump"></div></section>
<section class="wide"><h2>cameras</h2><div id="cams" class="cams"></div></section>
</main><script>${SCRIPT}</script></body></html>`;
}
