"""The workbench page: one self-contained HTML document (inline CSS and JS, canvas plots).

No CDN, no fonts, no network: everything the page needs is in this string, and the data
comes from the local server's JSON endpoints. Kept in a Python module so it ships with the
package without any package-data configuration.
"""

from __future__ import annotations

import html
import json


def render_page(token: str, title: str) -> str:
    boot = json.dumps({"token": token})
    return PAGE.replace("__TITLE__", html.escape(title)).replace("__BOOT__", boot)


PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>coach tune — __TITLE__</title>
<style>
:root{--bg:#15181d;--panel:#1e232b;--line:#2d343f;--fg:#e6e9ee;--dim:#8d96a3;--ok:#3fb56b;--warn:#e6a23c;
--fault:#e5484d;--cant:#6b7a90;--accent:#4c9aff;--band:rgba(229,72,77,.16)}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:13px/1.35 system-ui,sans-serif}
header{display:flex;gap:16px;align-items:baseline;padding:8px 14px;border-bottom:1px solid var(--line)}
header h1{font-size:16px;margin:0}header .dim{color:var(--dim)}#perf{margin-left:auto;color:var(--dim)}
main{display:grid;grid-template-columns:minmax(520px,1.25fr) minmax(380px,1fr);gap:12px;padding:10px 14px}
section{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin-bottom:10px}
h2{font-size:13px;margin:0 0 6px;color:#cdd3dc;text-transform:uppercase;letter-spacing:.04em}
#stage{position:relative;background:#000;border-radius:4px;overflow:hidden;width:100%}
#stage video,#stage canvas{position:absolute;left:0;top:0;width:100%;height:100%}
#transport{display:flex;gap:8px;align-items:center;margin:6px 0}
#scrub{flex:1}button{background:#2b3340;color:var(--fg);border:1px solid #3b4554;border-radius:4px;padding:4px 10px;cursor:pointer}
button:hover{background:#36404f}button.primary{background:#2a5db0;border-color:#3b6fc4}
canvas.plot,#timeline{width:100%;display:block;cursor:crosshair}
.plotbox{margin-bottom:8px}.plotbox .title{display:flex;gap:8px;align-items:baseline}
.plotbox .title b{font-weight:600}.sev{font-size:11px;padding:0 5px;border-radius:3px;background:#333b47;color:#cbd2db}
.sev.safety{background:#6b1f22}.sev.setup{background:#3d3a1c}.sev.form{background:#1f3d5c}.sev.pace{background:#3a2a55}.sev.count{background:#2a4535}
.cuecount{color:var(--dim);margin-left:auto}
.rule{border-top:1px solid var(--line);padding:6px 0}.rule:first-child{border-top:0}
.rule .head{display:flex;gap:6px;align-items:center}.rule .head .cue{color:var(--dim);font-size:12px;display:flex;flex-direction:column}
.cue .side{font-style:normal;font-size:11px;color:#b9c6d6;background:#2a323d;border-radius:3px;padding:0 4px;margin-right:5px}
.param{display:grid;grid-template-columns:120px 1fr 70px 22px;gap:6px;align-items:center;margin:3px 0}
.param label{color:#c4cad3}.param input[type=number]{width:70px;background:#11151a;color:var(--fg);border:1px solid #3b4554;border-radius:3px;padding:2px 4px}
.param.changed label{color:#ffd27a}.param .def{grid-column:2;color:var(--dim);font-size:11px;margin-top:-3px}
.reset{padding:0 5px;font-size:11px}
#diff li.looser{color:#9fe0b4}#diff li.stricter{color:#ffb3b3}#diff{margin:0;padding-left:18px}
#events{max-height:260px;overflow:auto;margin:0;padding:0;list-style:none}
#events li{padding:3px 4px;border-bottom:1px solid var(--line);cursor:pointer}#events li:hover{background:#262d37}
#events .t{color:var(--dim);display:inline-block;width:52px}#events .why{color:var(--dim);font-size:11px;display:block;margin-left:52px}
.row{display:flex;gap:6px;margin:4px 0;align-items:center}.row label{width:70px;color:#c4cad3}
.row input,.row textarea{flex:1;background:#11151a;color:var(--fg);border:1px solid #3b4554;border-radius:3px;padding:4px}
#status{min-height:18px;color:var(--dim);white-space:pre-wrap}#status.err{color:#ff8a8e}#status.ok{color:#8fe0a8}
#error{color:#ff8a8e;min-height:16px}
.legend span{margin-right:10px;color:var(--dim)}.legend em{font-style:normal}.legend i{display:inline-block;width:10px;height:3px;margin-right:4px;vertical-align:middle}
</style></head>
<body>
<header><h1>coach tune — <span id="exname">__TITLE__</span></h1><span class="dim" id="source"></span><span id="perf"></span></header>
<main>
<div>
  <section>
    <div id="stage"><canvas id="overlay"></canvas></div>
    <div id="transport"><button id="play">▶</button><span id="clock">00:00.0</span>
      <input type="range" id="scrub" min="0" max="1000" value="0" step="1"></div>
    <canvas id="timeline" height="58"></canvas>
    <div class="legend"><span><i style="background:var(--ok)"></i><em data-i18n="ok">ok</em></span><span><i style="background:var(--warn)"></i><em data-i18n="warning">warning</em></span>
      <span><i style="background:var(--fault)"></i><em data-i18n="fault">fault</em></span><span><i style="background:var(--cant)"></i><em data-i18n="cant_see">can't see</em></span>
      <span><i style="background:#59606b"></i><em data-i18n="inactive">rule not active</em></span><span data-i18n="cue_spoken">▼ cue spoken</span><span data-i18n="fault_tick">| fault</span></div>
  </section>
  <section><h2 data-i18n="measures">Measures over time</h2><div id="plots"></div></section>
</div>
<div>
  <section><h2 data-i18n="thresholds">Thresholds</h2><div id="error"></div><div id="rules"></div></section>
  <section><h2 data-i18n="phases">Holds, reps and phases</h2><div id="phases"></div></section>
  <section><h2 data-i18n="changes">Changes from the spec</h2><ul id="diff"></ul></section>
  <section><h2 data-i18n="cues">Cues on this recording</h2><ul id="events"></ul></section>
  <section><h2 data-i18n="profile">Patient profile</h2>
    <div class="row"><label for="patient" data-i18n="patient">Patient</label><input id="patient" data-i18n-ph="patient_ph" placeholder="name or id"></div>
    <div class="row"><label for="note" data-i18n="note">Note</label><textarea id="note" rows="2" data-i18n-ph="note_ph" placeholder="why these limits"></textarea></div>
    <div class="row"><label for="savepath" data-i18n="file">File</label><input id="savepath"><button id="save" class="primary" data-i18n="save">Save profile</button></div>
    <div class="row"><label for="loadpath" data-i18n="load">Load</label><input id="loadpath" data-i18n-ph="load_ph" placeholder="existing profile .yaml"><button id="load" data-i18n="load">Load</button></div>
    <div id="status"></div>
  </section>
</div>
</main>
<script>
"use strict";
const BOOT = __BOOT__;
const COL = {ok:"#3fb56b", warning:"#e6a23c", fault:"#e5484d", cant:"#6b7a90", off:"#59606b", accent:"#4c9aff"};
const STATE_COL = [null, COL.ok, COL.warning, COL.fault, COL.cant];
const SEV_COL = {safety:"#ff5c61", setup:"#e6c13c", form:"#4c9aff", pace:"#b07cff", count:"#3fb56b"};
const T = window.tune = {ready:false, evalCount:0, timings:[], session:null, result:null, overrides:{rules:{},phases:{},disabled:[]}};
let S = null, R = null, cur = 0, playing = false, video = null, lastTick = 0, pending = null, inflight = false, seq = 0;

function api(path, body){
  const opt = {headers:{"X-Coach-Token":BOOT.token}};
  if (body !== undefined){ opt.method = "POST"; opt.headers["Content-Type"] = "application/json"; opt.body = JSON.stringify(body); }
  return fetch(path, opt).then(r => r.json().then(j => { if (!r.ok) throw new Error(j.error || r.statusText); return j; }));
}
const $ = id => document.getElementById(id);
const NB = {ok:"ok", warning:"advarsel", fault:"feil", cant_see:"ser ikke", inactive:"regelen gjelder ikke her",
  cue_spoken:"▼ beskjed sagt", fault_tick:"| feil", lbl_cues:"beskjeder", lbl_phases:"faser", spec:"spes.", measures:"Målinger over tid", thresholds:"Grenseverdier", phases:"Hold, repetisjoner og faser",
  changes:"Endringer fra spesifikasjonen", cues:"Beskjeder på dette opptaket", profile:"Pasientprofil", patient:"Pasient",
  patient_ph:"navn eller id", note:"Notat", note_ph:"hvorfor disse grensene", file:"Fil", save:"Lagre profil", load:"Last inn",
  load_ph:"eksisterende profil .yaml", reevaluated:"evaluerte", frames:"bilder", engine:"motor", redraw:"endring→tegnet",
  rule_off:"regel av", cue:"beskjed", cues_n:"beskjeder", no_cue:"ingen beskjeder på dette opptaket med disse grensene",
  no_change:"ingen: spesifikasjonens verdier", saved:"lagret", use_it:"bruk den med:", loaded:"lastet inn", timing_rule:"tidsregel"};
const EN = {lbl_cues:"cues", lbl_phases:"phases", spec:"spec", reevaluated:"re-evaluated", frames:"frames", engine:"engine", redraw:"input→redraw", rule_off:"rule off", cue:"cue",
  cues_n:"cues", no_cue:"no cue on this recording with these limits", no_change:"none: the spec's values", saved:"saved",
  use_it:"use it with:", loaded:"loaded", timing_rule:"timing rule"};
let LANG = "en";
function tr(k){ return (LANG === "nb" ? NB[k] : EN[k]) || EN[k] || k; }
function translatePage(){ if (LANG !== "nb") return; document.documentElement.lang = "nb";
  document.querySelectorAll("[data-i18n]").forEach(e => { const t = NB[e.dataset.i18n]; if (t) e.textContent = t; });
  document.querySelectorAll("[data-i18n-ph]").forEach(e => { const t = NB[e.dataset.i18nPh]; if (t) e.placeholder = t; }); }
function fmtT(ms){ const s = Math.max(ms,0)/1000; return String(Math.floor(s/60)).padStart(2,"0")+":"+(s%60).toFixed(1).padStart(4,"0"); }
function fmtV(v, unit){ if (v === null || v === undefined || !isFinite(v)) return "–"; const a = Math.abs(v);
  const s = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2); return s + (unit === "deg" ? "°" : unit ? " "+unit : ""); }
function ts(){ return S.clip.timestamps_ms; }
function t0(){ return ts()[0]; } function t1(){ const a = ts(); return a[a.length-1]; }
function frameAt(ms){ const a = ts(); let lo = 0, hi = a.length-1; if (ms <= a[0]) return 0;
  while (lo < hi){ const m = (lo+hi+1)>>1; if (a[m] <= ms) lo = m; else hi = m-1; } return lo; }

// ---------------------------------------------------------------- controls
function paramValue(p){ const g = T.overrides[p.group] || {}; const o = g[p.owner] || {}; return (p.field in o) ? o[p.field] : p.default; }
function setParam(p, v){
  const g = T.overrides[p.group] = T.overrides[p.group] || {};
  const o = g[p.owner] = g[p.owner] || {};
  if (v === p.default) delete o[p.field]; else o[p.field] = v;
  if (!Object.keys(o).length) delete g[p.owner];
}
function buildControls(){
  const rulesDiv = $("rules"), phasesDiv = $("phases"); rulesDiv.innerHTML = ""; phasesDiv.innerHTML = "";
  const byOwner = {};
  for (const p of S.params){ (byOwner[p.group+"."+p.owner] = byOwner[p.group+"."+p.owner] || []).push(p); }
  for (const r of S.rules){
    const ps = byOwner["rules."+r.id] || [];
    const box = document.createElement("div"); box.className = "rule"; box.dataset.rule = r.id;
    const head = document.createElement("div"); head.className = "head";
    const cb = document.createElement("input"); cb.type = "checkbox"; cb.checked = !T.overrides.disabled.includes(r.id);
    cb.title = r.position ? "this rule defines the hold position and cannot be turned off" : "rule on/off"; cb.disabled = r.position;
    cb.dataset.enable = r.id;
    cb.addEventListener("change", () => { const d = T.overrides.disabled; const i = d.indexOf(r.id);
      if (cb.checked && i >= 0) d.splice(i,1); if (!cb.checked && i < 0) d.push(r.id); schedule(); });
    head.append(cb); const b = document.createElement("b"); b.textContent = r.id; head.append(b);
    const sev = document.createElement("span"); sev.className = "sev "+r.severity; sev.textContent = r.severity; head.append(sev);
    const cue = document.createElement("span"); cue.className = "cue"; cue.dataset.cueFor = r.id; head.append(cue);
    renderCue(cue, r.cues);
    box.append(head);
    for (const p of ps) box.append(paramRow(p));
    rulesDiv.append(box);
  }
  for (const ph of S.phases){
    const ps = byOwner["phases."+ph.id] || []; if (!ps.length) continue;
    const box = document.createElement("div"); box.className = "rule";
    const head = document.createElement("div"); head.className = "head";
    head.innerHTML = "<b></b><span class='sev'></span><span class='cue'></span>";
    head.children[0].textContent = ph.id; head.children[1].textContent = ph.kind; head.children[2].textContent = ph.name;
    head.dataset.phase = ph.id; head.title = cueTitle(ph.cues);
    box.append(head); for (const p of ps) box.append(paramRow(p)); phasesDiv.append(box);
  }
}
// a cue as the patient hears it, placeholders filled by the server; one line per side when
// the side changes the words ("right  Stretch your right arm ...", "left  ... left arm ...")
function renderCue(el, variants){
  el.innerHTML = "";
  for (const v of variants || []){ const line = document.createElement("span"); line.className = "cueline";
    if (v.label){ const tag = document.createElement("em"); tag.className = "side"; tag.textContent = v.label; line.append(tag); }
    line.append(document.createTextNode(v.text)); el.append(line); }
}
function cueTitle(variants){ return (variants || []).map(v => (v.label ? v.label + ": " : "") + v.text).join("\n"); }
function updateTexts(texts){ // the values in effect changed (e.g. min_s): the texts follow
  if (!texts) return;
  document.querySelectorAll("#rules .cue[data-cue-for]").forEach(el => { const v = texts.rules[el.dataset.cueFor];
    if (v) renderCue(el, v); });
  document.querySelectorAll("#phases .head[data-phase]").forEach(el => { const v = texts.phases[el.dataset.phase];
    if (v) el.title = cueTitle(v); });
}
const LABELS = {min:"min", max:"max", hysteresis:"hysteresis", persist:"persist (s)"};
function paramRow(p){
  const row = document.createElement("div"); row.className = "param"; row.dataset.key = p.key;
  const lab = document.createElement("label"); lab.textContent = p.field; lab.title = p.key;
  const rng = document.createElement("input"); rng.type = "range"; rng.min = p.lo; rng.max = p.hi; rng.step = p.step;
  rng.dataset.key = p.key; rng.setAttribute("aria-label", p.key);
  const num = document.createElement("input"); num.type = "number"; num.step = p.step; num.dataset.key = p.key;
  const rs = document.createElement("button"); rs.className = "reset"; rs.textContent = "↺"; rs.title = "back to the spec's "+p.default;
  const def = document.createElement("div"); def.className = "def"; def.textContent = tr("spec") + ": " + p.default + (p.unit && p.unit!=="reps" ? " "+p.unit : "");
  const sync = () => { const v = paramValue(p); rng.value = v; num.value = v; row.classList.toggle("changed", v !== p.default); };
  const apply = (raw) => { let v = Number(raw); if (!isFinite(v)) return; if (p.integer) v = Math.round(v);
    else v = Math.round(v / p.step) * p.step; v = Number(v.toFixed(6)); setParam(p, v); sync(); schedule(); };
  rng.addEventListener("input", () => apply(rng.value));
  num.addEventListener("change", () => apply(num.value));
  rs.addEventListener("click", () => { setParam(p, p.default); sync(); schedule(); });
  row._sync = sync; sync();
  row.append(lab, rng, num, rs, def);
  return row;
}
function syncControls(){ document.querySelectorAll(".param").forEach(r => r._sync && r._sync());
  document.querySelectorAll("input[data-enable]").forEach(cb => cb.checked = !T.overrides.disabled.includes(cb.dataset.enable)); }

// ---------------------------------------------------------------- evaluation
function schedule(){ pending = performance.now(); if (!inflight) setTimeout(evaluate, 15); }
function evaluate(){
  if (pending === null) return;
  const started = pending; pending = null; inflight = true; const my = ++seq;
  api("/api/evaluate", {overrides: T.overrides}).then(res => {
    inflight = false;
    if (my !== seq) return;
    $("error").textContent = "";
    R = T.result = res; T.evalCount++;
    updateTexts(res.texts); drawAll();
    const ms = performance.now() - started;
    T.timings.push({total_ms: ms, server_ms: res.server_ms, engine_ms: res.eval_ms});
    $("perf").textContent = `${tr("reevaluated")} ${S.clip.frames} ${tr("frames")}: ${tr("engine")} ${res.eval_ms.toFixed(0)} ms, ${tr("redraw")} ${ms.toFixed(0)} ms`;
    document.body.dataset.evalCount = T.evalCount;
    if (pending !== null) evaluate();
  }).catch(err => { inflight = false; $("error").textContent = err.message; T.lastError = err.message;
    document.body.dataset.error = err.message; if (pending !== null) evaluate(); });
}

// ---------------------------------------------------------------- drawing
function fitCanvas(c, h){ const dpr = window.devicePixelRatio || 1; const w = c.clientWidth;
  if (c.width !== Math.round(w*dpr) || c.height !== Math.round(h*dpr)){ c.width = Math.round(w*dpr); c.height = Math.round(h*dpr); c.style.height = h+"px"; }
  const g = c.getContext("2d"); g.setTransform(dpr,0,0,dpr,0,0); return [g, w, h]; }
const PADL = 58, PADR = 8;
function xOf(ms, w){ return PADL + (ms - t0()) / Math.max(t1() - t0(), 1) * (w - PADL - PADR); }
function msOfX(x, w){ return t0() + (x - PADL) / (w - PADL - PADR) * (t1() - t0()); }

function drawTimeline(){
  const c = $("timeline"); const [g, w, h] = fitCanvas(c, 58); g.clearRect(0,0,w,h);
  g.fillStyle = "#11151a"; g.fillRect(PADL, 0, w-PADL-PADR, h);
  const PH = {setup:"#3a4150", hold:"#24543a", reps:"#23466e", rest:"#4a3d26", done:"#2a2f37"};
  g.font = "11px system-ui"; g.textBaseline = "middle";
  for (const s of R.steps){ const x0 = xOf(s.start_ms, w), x1 = xOf(s.end_ms, w) + 1;
    g.fillStyle = PH[s.kind] || "#333"; g.fillRect(x0, 18, Math.max(x1-x0,1), 22);
    g.fillStyle = "#dfe5ec"; const lab = s.phase + (s.side ? " ("+s.side+")" : ""); if (x1 - x0 > g.measureText(lab).width + 6) g.fillText(lab, x0+3, 29); }
  // hold progress / reps as a thin line
  for (const e of R.events){ const x = xOf(e.t, w);
    if (e.kind === "cue" || e.kind === "cant_see"){ g.fillStyle = SEV_COL[e.severity] || "#ddd"; tri(g, x, 2, 6); }
    else if (e.kind === "rep" && !e.state){ g.fillStyle = "#9cc4ff"; g.fillRect(x-0.5, 42, 1.5, 8); }
    else if (e.kind === "praise"){ g.fillStyle = "#3fb56b"; g.beginPath(); g.arc(x, 52, 2.5, 0, 7); g.fill(); } }
  g.fillStyle = "#8d96a3"; g.fillText(tr("lbl_phases"), 2, 29); g.fillText(tr("lbl_cues"), 2, 8);
  cursor(g, w, h);
}
function tri(g, x, y, s){ g.beginPath(); g.moveTo(x-s/2-1, y); g.lineTo(x+s/2+1, y); g.lineTo(x, y+s+2); g.closePath(); g.fill(); }
function cursor(g, w, h){ const x = xOf(ts()[cur], w); g.strokeStyle = "#fff"; g.lineWidth = 1; g.beginPath(); g.moveTo(x+.5, 0); g.lineTo(x+.5, h); g.stroke(); }

function buildPlots(){
  const div = $("plots"); div.innerHTML = "";
  for (const r of S.rules){ if (r.kind !== "measure") continue;
    const box = document.createElement("div"); box.className = "plotbox"; box.dataset.rule = r.id;
    box.innerHTML = "<div class='title'><b></b><span class='sev'></span><span class='meas dim'></span><span class='cuecount'></span></div>";
    box.querySelector("b").textContent = r.id; const sv = box.querySelector(".sev"); sv.textContent = r.severity; sv.classList.add(r.severity);
    box.querySelector(".meas").textContent = r.measure + " [" + r.unit + "]";
    const c = document.createElement("canvas"); c.className = "plot"; c.dataset.rule = r.id; box.append(c); div.append(box);
    c.addEventListener("mousedown", ev => seekFromCanvas(c, ev)); c.addEventListener("mousemove", ev => { if (ev.buttons) seekFromCanvas(c, ev); });
  }
}
function bounds(ruleId){ // current thresholds (overrides or spec)
  const r = S.rules.find(x => x.id === ruleId); const o = (T.overrides.rules || {})[ruleId] || {};
  const suf = {deg:"deg", body:"body", "deg/s":"deg_s", "body/s":"body_s", s:"s", ratio:"ratio"}[r.unit] || "value";
  const g = (k, d) => (k in o ? o[k] : d);
  return {min: r.min === null ? null : g("min_"+suf, r.min), max: r.max === null ? null : g("max_"+suf, r.max),
          hyst: g("hysteresis_"+suf, r.hysteresis), persist: g("persist_s", r.persist_s)};
}
function drawPlots(){
  document.querySelectorAll("#plots .plotbox").forEach(box => drawPlot(box));
}
function drawPlot(box){
  const rid = box.dataset.rule; const c = box.querySelector("canvas"); const [g, w, h] = fitCanvas(c, 96);
  g.clearRect(0,0,w,h); g.fillStyle = "#11151a"; g.fillRect(PADL, 0, w-PADL-PADR, h);
  const bg = R.background[rid] || [], act = R.rules[rid] || {state:[], value:[]}; const b = bounds(rid);
  const r = S.rules.find(x => x.id === rid);
  const disabled = T.overrides.disabled.includes(rid);
  let lo = Infinity, hi = -Infinity;
  for (const v of bg) if (v !== null){ if (v < lo) lo = v; if (v > hi) hi = v; }
  for (const v of [b.min, b.max]) if (v !== null){ lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!isFinite(lo)){ lo = 0; hi = 1; } if (hi - lo < 1e-6){ hi += 1; lo -= 1; }
  const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
  const y = v => 4 + (hi - v) / (hi - lo) * (h - 8);
  // hysteresis band + thresholds
  if (b.max !== null){ g.fillStyle = "rgba(229,72,77,.16)"; g.fillRect(PADL, y(b.max), w-PADL-PADR, Math.max(y(b.max - b.hyst) - y(b.max), 1)); }
  if (b.min !== null){ g.fillStyle = "rgba(229,72,77,.16)"; g.fillRect(PADL, y(b.min + b.hyst), w-PADL-PADR, Math.max(y(b.min) - y(b.min + b.hyst), 1)); }
  g.strokeStyle = "#e5484d"; g.lineWidth = 1; g.setLineDash([5,3]);
  for (const v of [b.min, b.max]) if (v !== null){ g.beginPath(); g.moveTo(PADL, y(v)+.5); g.lineTo(w-PADR, y(v)+.5); g.stroke(); }
  g.setLineDash([]);
  // step boundaries
  g.strokeStyle = "#2d343f"; for (const s of R.steps){ const x = xOf(s.start_ms, w); g.beginPath(); g.moveTo(x+.5,0); g.lineTo(x+.5,h); g.stroke(); }
  // the whole-clip curve (grey), then where the rule is active coloured by its state
  const a = ts(); g.lineWidth = 1.2;
  const path = (vals, colorAt) => { let prev = null;
    for (let i = 0; i < vals.length; i++){ const v = vals[i]; const col = colorAt(i);
      if (v === null || col === null){ prev = null; continue; }
      const x = xOf(a[i], w), yy = y(v);
      if (prev && prev[2] === col){ g.strokeStyle = col; g.beginPath(); g.moveTo(prev[0], prev[1]); g.lineTo(x, yy); g.stroke(); }
      else if (prev){ g.strokeStyle = col; g.beginPath(); g.moveTo(prev[0], prev[1]); g.lineTo(x, yy); g.stroke(); }
      prev = [x, yy, col]; } };
  path(bg, () => COL.off);
  if (!disabled){ g.lineWidth = 2; path(act.value, i => STATE_COL[act.state[i]] || null);
    // where the rule is active but its landmarks cannot be seen: a grey bar along the bottom
    g.fillStyle = "rgba(107,122,144,.8)";
    for (let i = 0; i < act.state.length; i++) if (act.state[i] === 4){ const x = xOf(a[i], w);
      const x2 = i + 1 < a.length ? xOf(a[i+1], w) : x + 1; g.fillRect(x, h - 4, Math.max(x2 - x, 1), 4); } }
  // fault ticks and cue markers
  let cues = [];
  for (const e of R.events){ if (e.rule !== rid) continue; const x = xOf(e.t, w);
    if (e.kind === "fault"){ g.fillStyle = "#e6a23c"; g.fillRect(x-0.5, h-10, 2, 10); }
    if (e.kind === "cue"){ cues.push(e.t); g.strokeStyle = "rgba(255,92,97,.7)"; g.setLineDash([2,2]); g.beginPath(); g.moveTo(x+.5, 10); g.lineTo(x+.5, h); g.stroke(); g.setLineDash([]);
      g.fillStyle = "#ff5c61"; tri(g, x, 0, 8); } }
  box.dataset.cueCount = cues.length; box.dataset.cueTimes = cues.map(t => Math.round(t)).join(",");
  box.querySelector(".cuecount").textContent = disabled ? tr("rule_off") : (cues.length + " " + tr(cues.length === 1 ? "cue" : "cues_n"));
  // axis labels
  g.fillStyle = "#8d96a3"; g.font = "10px system-ui"; g.textBaseline = "middle";
  const taken = [];
  for (const v of [b.min, b.max]) if (v !== null){ g.fillStyle = "#ff9a9d"; g.fillText(fmtV(v, ""), 2, y(v)); taken.push(y(v)); }
  g.fillStyle = "#8d96a3";
  for (const [v, yy] of [[hi - pad, 8], [lo + pad, h - 8]]) if (taken.every(t => Math.abs(t - yy) > 11)) g.fillText(fmtV(v, ""), 2, yy);
  cursor(g, w, h);
  const vNow = act.state[cur] ? act.value[cur] : bg[cur];
  g.fillStyle = "#fff"; g.textAlign = "right"; g.fillText(fmtV(vNow, r.unit), w - PADR - 2, 8); g.textAlign = "left";
}

function drawOverlay(){
  const stage = $("stage"), c = $("overlay"); const [W, H] = S.clip.image_wh;
  const w = stage.clientWidth, h = Math.round(w * H / W); stage.style.height = h + "px";
  const [g] = fitCanvas(c, h); g.clearRect(0,0,w,h);
  if (!video){ g.fillStyle = "#22262d"; g.fillRect(0,0,w,h); }
  const lm = S.landmarks[cur];
  const bone = "#e8f4ff";
  if (lm){ g.lineWidth = 3; g.strokeStyle = bone;
    for (const [i, j] of S.edges){ const p = lm[i], q = lm[j]; if (!p || !q) continue;
      g.beginPath(); g.moveTo(p[0]*w, p[1]*h); g.lineTo(q[0]*w, q[1]*h); g.stroke(); }
    g.fillStyle = "#4c9aff"; for (const p of lm){ if (!p) continue; g.beginPath(); g.arc(p[0]*w, p[1]*h, 3, 0, 7); g.fill(); }
    // the points of each rule in warning / fault at this frame: thick bones, big joints
    const seg0 = R.steps.find(s => s.start <= cur && cur <= s.end);
    const side = (seg0 && seg0.measure_side) || S.exercise.sides[0] || "";
    for (const st of [2, 3]){ for (const rid in R.rules){ if (R.rules[rid].state[cur] !== st) continue;
      const pts = ((S.rule_landmarks[rid] || {})[side] || []); const set = new Set(pts); const col = STATE_COL[st];
      g.strokeStyle = col; g.lineWidth = 6;
      for (const [i, j] of S.edges){ if (!set.has(i) || !set.has(j) || !lm[i] || !lm[j]) continue;
        g.beginPath(); g.moveTo(lm[i][0]*w, lm[i][1]*h); g.lineTo(lm[j][0]*w, lm[j][1]*h); g.stroke(); }
      g.fillStyle = col; for (const i of pts){ const p = lm[i]; if (!p) continue; g.beginPath(); g.arc(p[0]*w, p[1]*h, 6, 0, 7); g.fill(); } } } }
  // status box: phase, hold, reps, rule states
  const seg = R.steps.find(s => s.start <= cur && cur <= s.end);
  const lines = [];
  if (seg) lines.push([seg.phase + (seg.side ? " · " + seg.side : ""), "#fff"]);
  if (R.hold_s[cur] !== null) lines.push(["hold " + R.hold_s[cur].toFixed(1) + " s", "#8fe0a8"]);
  if (R.reps[cur] >= 0) lines.push(["reps " + R.reps[cur], "#9cc4ff"]);
  for (const r of S.rules){ const st = (R.rules[r.id] || {state:[]}).state[cur]; if (!st) continue;
    lines.push(["● " + r.id + "  " + fmtV(R.rules[r.id].value[cur], r.unit), STATE_COL[st]]); }
  g.font = "12px system-ui"; g.textBaseline = "top";
  const bw = Math.max(...lines.map(l => g.measureText(l[0]).width), 60) + 12;
  g.fillStyle = "rgba(0,0,0,.6)"; g.fillRect(6, 6, bw, lines.length * 16 + 8);
  lines.forEach((l, k) => { g.fillStyle = l[1]; g.fillText(l[0], 12, 10 + k*16); });
  // the cue being said (shown 4 s, like the coach's overlay)
  const now = ts()[cur]; let said = null;
  for (const e of R.events){ if (e.t > now) break; if (["cue","cant_see","praise","phase","side"].includes(e.kind) && e.text && now - e.t <= 4000) said = e; }
  if (said){ g.font = "bold 15px system-ui"; const tw = Math.min(g.measureText(said.text).width, w - 30);
    g.fillStyle = said.kind === "cue" ? "rgba(160,30,35,.85)" : "rgba(20,60,110,.85)"; g.fillRect((w - tw)/2 - 10, h - 40, tw + 20, 30);
    g.fillStyle = "#fff"; g.textBaseline = "middle"; g.textAlign = "center"; g.fillText(said.text, w/2, h - 25, w - 30); g.textAlign = "left"; }
}
function drawEvents(){
  const ul = $("events"); ul.innerHTML = "";
  const faultBefore = {};
  for (const e of R.events){
    if (e.kind === "fault") faultBefore[e.rule] = e;
    if (!["cue","cant_see"].includes(e.kind)) continue;
    const li = document.createElement("li"); li.className = "cue-item"; li.dataset.rule = e.rule || ""; li.dataset.t = e.t;
    li.innerHTML = "<span class='t'></span><span class='sev'></span> <b></b> <span class='txt'></span><span class='why'></span>";
    li.querySelector(".t").textContent = fmtT(e.t - t0()); const sv = li.querySelector(".sev"); sv.textContent = e.severity || e.kind; sv.classList.add(e.severity);
    li.querySelector("b").textContent = e.rule || e.kind; li.querySelector(".txt").textContent = e.text || "";
    li.querySelector(".why").textContent = why(e, faultBefore[e.rule]);
    li.addEventListener("click", () => seek(frameAt(e.t)));
    ul.append(li);
  }
  if (!ul.children.length){ const li = document.createElement("li"); li.textContent = tr("no_cue"); ul.append(li); }
}
function why(e, f){
  const r = S.rules.find(x => x.id === e.rule); if (!r) return "";
  if (e.kind === "cant_see") return LANG === "nb" ? `punktene ${r.measure} måles fra var ikke synlige en stund: ingen formbeskjed på en kropp kameraet ikke ser`
    : `the points ${r.measure} is measured from were not visible (or not trusted) for a while: no form cue is given on a body the camera cannot see`;
  if (r.kind !== "measure") return tr("timing_rule") + " (" + r.check + ")" + (f && f.achieved_s !== undefined ? (LANG === "nb" ? ": oppnådd " : ": achieved ") + f.achieved_s + " s" : "");
  const b = bounds(r.id); const lim = [b.min !== null ? "min " + fmtV(b.min, r.unit) : null, b.max !== null ? "max " + fmtV(b.max, r.unit) : null].filter(Boolean).join(", ");
  const val = f && f.value !== undefined ? fmtV(f.value, r.unit) : "?";
  const at = f ? fmtT(f.t - t0()) : "?";
  return LANG === "nb" ? `${r.measure} var ${val} ved ${at} (grenser ${lim}) i ≥ ${b.persist} s → feil; sagt når køen av beskjeder tillot det`
    : `${r.measure} was ${val} at ${at} (limits ${lim}) for ≥ ${b.persist} s → fault; spoken when the cue queue allowed`;
}
function drawDiff(){
  const ul = $("diff"); ul.innerHTML = "";
  for (const d of R.diff){ const li = document.createElement("li"); li.className = d.change; li.dataset.key = d.key;
    li.textContent = `${d.key}: ${d.default} → ${d.value} (${d.change})`; ul.append(li); }
  if (!R.diff.length){ const li = document.createElement("li"); li.textContent = tr("no_change"); ul.append(li); }
}
function drawAll(){ drawTimeline(); drawPlots(); drawOverlay(); drawEvents(); drawDiff(); updateClock(); }
function drawCursorOnly(){ drawTimeline(); drawPlots(); drawOverlay(); updateClock(); }
function updateClock(){ $("clock").textContent = fmtT(ts()[cur] - t0()) + " / " + fmtT(t1() - t0());
  $("scrub").value = Math.round(cur / Math.max(S.clip.frames - 1, 1) * 1000); }

// ---------------------------------------------------------------- time
function seek(i, fromVideo){ cur = Math.max(0, Math.min(S.clip.frames - 1, i));
  if (video && !fromVideo){ video.currentTime = ts()[cur] / 1000; } drawCursorOnly(); }
function seekFromCanvas(c, ev){ const rect = c.getBoundingClientRect(); seek(frameAt(msOfX(ev.clientX - rect.left, rect.width))); }
let playMs = null;
function tick(now){
  if (playing){
    if (video){ seek(frameAt(video.currentTime * 1000), true); if (video.ended || video.currentTime * 1000 > t1()) setPlaying(false); }
    else { if (playMs === null) playMs = ts()[cur]; playMs += now - (lastTick || now);
      const i = frameAt(playMs); if (i !== cur) seek(i); if (playMs >= t1()) setPlaying(false); }
  }
  lastTick = now; requestAnimationFrame(tick);
}
function setPlaying(p){ playing = p; playMs = null; $("play").textContent = p ? "❚❚" : "▶"; if (video){ p ? video.play() : video.pause(); } }

// ---------------------------------------------------------------- profile
function status(msg, cls){ const s = $("status"); s.textContent = msg; s.className = cls || ""; }
$("save").addEventListener("click", () => {
  api("/api/save", {path: $("savepath").value, patient: $("patient").value, note: $("note").value, overrides: T.overrides})
    .then(res => { status(tr("saved") + " " + res.path + "\n" + tr("use_it") + " coach session --profile " + res.path, "ok"); T.saved = res; document.body.dataset.saved = res.path; })
    .catch(err => status(err.message, "err"));
});
$("load").addEventListener("click", () => {
  api("/api/load", {path: $("loadpath").value}).then(res => { applyProfile(res); status(tr("loaded") + " " + res.path, "ok"); schedule(); })
    .catch(err => status(err.message, "err"));
});
function applyProfile(p){
  T.overrides = {rules: p.overrides.rules || {}, phases: p.overrides.phases || {}, disabled: p.overrides.disabled || []};
  $("patient").value = p.patient || ""; $("note").value = p.note || ""; $("savepath").value = p.save_path || "";
  syncControls();
}

// ---------------------------------------------------------------- start
$("play").addEventListener("click", () => setPlaying(!playing));
$("scrub").addEventListener("input", () => seek(Math.round($("scrub").value / 1000 * (S.clip.frames - 1))));
$("timeline").addEventListener("mousedown", ev => seekFromCanvas($("timeline"), ev));
$("timeline").addEventListener("mousemove", ev => { if (ev.buttons) seekFromCanvas($("timeline"), ev); });
window.addEventListener("resize", () => R && drawAll());
document.addEventListener("keydown", ev => { if (ev.target.tagName === "INPUT" || ev.target.tagName === "TEXTAREA") return;
  if (ev.key === " "){ setPlaying(!playing); ev.preventDefault(); } if (ev.key === "ArrowRight") seek(cur + 1); if (ev.key === "ArrowLeft") seek(cur - 1); });
api("/api/session").then(s => {
  S = T.session = s; LANG = s.lang; translatePage();
  $("source").textContent = (s.source || "") + " · " + s.clip.frames + " " + tr("frames");
  if (s.video_url){ video = document.createElement("video"); video.src = s.video_url; video.muted = true; video.preload = "auto";
    video.playsInline = true; $("stage").prepend(video); video.addEventListener("seeked", () => drawOverlay()); }
  applyProfile(s.profile);
  buildControls(); buildPlots();
  pending = performance.now(); evaluate();
  const wait = setInterval(() => { if (R){ clearInterval(wait); T.ready = true; document.body.dataset.ready = "1"; } }, 20);
  requestAnimationFrame(tick);
}).catch(err => { $("error").textContent = err.message; });
</script>
</body></html>
"""
