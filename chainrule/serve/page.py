"""The web page of the prediction server: one self-contained HTML file (inline CSS and JavaScript).

For an image model it offers a drawing pad (grayscale models: draw a digit, centred into the model's
input the way MNIST digits are: fitted into the middle 20/28 of the frame by their centre of mass) and an
image upload; for a tabular model, a field for the feature values. The picture the model sees is shown,
sent to POST /predict as JSON, and the class probabilities are drawn as bars.

Test hooks: `?draw=x,y x,y;x,y ...` draws strokes (points in input-pixel units, strokes separated by
";"), `?image=<URL>` loads an image as an upload would; each then predicts. The page marks
`<body data-state="done">` when the result is shown and keeps the exact inputs sent in `#sent`.
"""

PAGE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chainrule model</title>
<style>
  :root { --accent: #4f46e5; --ink: #1f2937; --soft: #6b7280; --line: #e5e7eb; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
         background: #f3f4f6; }
  header { background: #111827; color: #fff; padding: 14px 28px; display: flex; align-items: baseline; gap: 14px;
           flex-wrap: wrap; }
  header b { font-size: 19px; letter-spacing: .2px; }
  header span { color: #9ca3af; font-size: 13px; }
  main { display: grid; grid-template-columns: minmax(300px, 360px) minmax(300px, 460px); gap: 22px;
         padding: 24px 28px; justify-content: center; }
  .card { background: #fff; border-radius: 12px; box-shadow: 0 1px 3px rgba(0,0,0,.08); padding: 18px 20px; }
  h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .8px; color: var(--soft); margin: 0 0 12px; }
  #pad { width: 280px; height: 280px; border-radius: 8px; background: #000; touch-action: none; cursor: crosshair;
         display: block; }
  .row { display: flex; gap: 10px; align-items: center; margin: 12px 0; flex-wrap: wrap; }
  button, .button { font: inherit; font-size: 14px; border: 1px solid var(--line); background: #fff; border-radius: 8px;
                    padding: 6px 14px; cursor: pointer; color: var(--ink); }
  button:hover, .button:hover { border-color: var(--accent); color: var(--accent); }
  .button input { display: none; }
  label.check { font-size: 13px; color: var(--soft); display: flex; gap: 5px; align-items: center; }
  .seen { display: flex; gap: 12px; align-items: center; color: var(--soft); font-size: 13px; }
  #preview { width: 84px; height: 84px; image-rendering: pixelated; border: 1px solid var(--line);
             border-radius: 4px; background: #000; }
  textarea { width: 100%; min-height: 90px; font: 13px ui-monospace, monospace; border: 1px solid var(--line);
             border-radius: 8px; padding: 8px; }
  #top { display: flex; align-items: baseline; gap: 12px; margin-bottom: 14px; min-height: 46px; }
  #top-label { font-size: 34px; font-weight: 650; }
  #top-prob { color: var(--soft); }
  #bars { list-style: none; margin: 0; padding: 0; }
  #bars li { display: grid; grid-template-columns: 110px 1fr 56px; gap: 10px; align-items: center; padding: 3px 0;
             font-size: 14px; }
  #bars .name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  #bars .track { background: #eef0f4; border-radius: 4px; height: 12px; overflow: hidden; }
  #bars .fill { display: block; background: #a5b4fc; height: 100%; width: 0; }
  #bars li.best .fill { background: var(--accent); }
  #bars li.best { font-weight: 600; }
  #bars .pct { text-align: right; font-variant-numeric: tabular-nums; color: var(--soft); }
  #status { color: var(--soft); font-size: 13px; min-height: 20px; margin: 10px 0 0; }
  #status.error { color: #b91c1c; }
  footer { text-align: center; color: var(--soft); font-size: 12px; padding: 0 0 24px; }
  code { background: #e5e7eb; padding: 1px 5px; border-radius: 4px; }
  [hidden] { display: none !important; }
</style>
</head>
<body data-state="loading">
<header><b>chainrule</b><span id="name">model</span><span id="about"></span></header>
<main>
  <section class="card">
    <h2 id="input-title">Input</h2>
    <div id="image-input" hidden>
      <canvas id="pad" width="280" height="280" aria-label="drawing pad"></canvas>
      <div class="row">
        <button id="clear" type="button">Clear</button>
        <label class="button">Upload image<input id="upload" type="file" accept="image/*"></label>
        <label class="check"><input id="invert" type="checkbox">invert colours</label>
      </div>
      <div class="seen"><canvas id="preview" width="28" height="28"></canvas><span id="seen-text">what the model
        sees</span></div>
    </div>
    <div id="table-input" hidden>
      <textarea id="features" spellcheck="false"></textarea>
      <div class="row"><button id="send" type="button">Predict</button></div>
    </div>
  </section>
  <section class="card">
    <h2>Prediction</h2>
    <div id="top"><span id="top-label">&ndash;</span><span id="top-prob"></span></div>
    <ol id="bars"></ol>
    <p id="status">Loading the model description&hellip;</p>
  </section>
</main>
<footer>API: <code>POST /predict {"inputs": [...]}</code> &middot; <code>GET /info</code> &middot;
  <code>GET /health</code></footer>
<pre id="sent" hidden></pre>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const pad = $("pad"), ctx = pad.getContext("2d");
let info = null, height = 0, width = 0, channels = 1, drawn = false;

function status(text, error) { $("status").textContent = text; $("status").className = error ? "error" : ""; }
function clearPad() { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, pad.width, pad.height); drawn = false; }
function canvas(w, h) { const c = document.createElement("canvas"); c.width = w; c.height = h; return c; }

// -- drawing ---------------------------------------------------------------------------------------
function stroke(points) {
  ctx.strokeStyle = "#fff"; ctx.lineWidth = pad.width / 12; ctx.lineCap = "round"; ctx.lineJoin = "round";
  ctx.beginPath();
  points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  if (points.length === 1) ctx.lineTo(points[0][0] + 0.1, points[0][1]);
  ctx.stroke(); drawn = true;
}
let current = null;
function at(e) { const r = pad.getBoundingClientRect(); return [(e.clientX - r.left) * pad.width / r.width,
                                                                (e.clientY - r.top) * pad.height / r.height]; }
pad.addEventListener("pointerdown", (e) => { pad.setPointerCapture(e.pointerId); current = [at(e)]; stroke(current); });
pad.addEventListener("pointermove", (e) => { if (current) { current.push(at(e)); stroke(current.slice(-2)); } });
pad.addEventListener("pointerup", () => { if (current) { current = null; predict(drawingPixels()); } });

// Fit the drawing's bounding box into the middle 20/28 of the frame, then move its centre of mass to the
// centre: how MNIST digits were prepared, so a drawn digit looks like the training data.
function drawingPixels() {
  const data = ctx.getImageData(0, 0, pad.width, pad.height).data;
  let x0 = pad.width, y0 = pad.height, x1 = -1, y1 = -1;
  for (let y = 0; y < pad.height; y++) for (let x = 0; x < pad.width; x++) {
    if (data[4 * (y * pad.width + x)] > 16) {
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  const box = canvas(width, height), bctx = box.getContext("2d");
  bctx.fillStyle = "#000"; bctx.fillRect(0, 0, width, height);
  if (x1 < 0) return pixelsOf(box, false);
  const w = x1 - x0 + 1, h = y1 - y0 + 1, scale = Math.min(width, height) * 20 / 28 / Math.max(w, h);
  bctx.drawImage(pad, x0, y0, w, h, (width - w * scale) / 2, (height - h * scale) / 2, w * scale, h * scale);
  const small = pixelsOf(box, false);
  let mass = 0, mx = 0, my = 0;
  small.forEach((row, y) => row.forEach((v, x) => { mass += v; mx += v * x; my += v * y; }));
  const dx = Math.round((width - 1) / 2 - mx / mass), dy = Math.round((height - 1) / 2 - my / mass);
  return small.map((row, y) => row.map((_, x) => (small[y - dy] || [])[x - dx] || 0));
}

// -- images ------------------------------------------------------------------------------------------
function pixelsOf(c, invert) {
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data, out = [];
  for (let y = 0; y < c.height; y++) {
    const row = [];
    for (let x = 0; x < c.width; x++) {
      const i = 4 * (y * c.width + x), rgb = [d[i], d[i + 1], d[i + 2]].map((v) => (invert ? 255 - v : v));
      row.push(channels === 3 ? rgb : Math.round(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]));
    }
    out.push(row);
  }
  return out;
}
function imagePixels(img) {
  const c = canvas(width, height), g = c.getContext("2d");
  g.drawImage(img, 0, 0, width, height);
  return pixelsOf(c, $("invert").checked);
}
function loadImage(url) {
  const img = new Image();
  img.onload = () => { clearPad(); ctx.drawImage(img, 0, 0, pad.width, pad.height); predict(imagePixels(img)); };
  img.onerror = () => status("That file could not be read as an image.", true);
  img.src = url;
}
$("upload").addEventListener("change", (e) => {
  const file = e.target.files[0];
  if (file) { const r = new FileReader(); r.onload = () => loadImage(r.result); r.readAsDataURL(file); }
});
$("clear").addEventListener("click", () => { clearPad(); showPreview(null); render(null); status("Draw again."); });

function showPreview(pixels) {
  const p = $("preview"), g = p.getContext("2d"), img = g.createImageData(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const v = pixels ? pixels[y][x] : 0, rgb = Array.isArray(v) ? v : [v, v, v], i = 4 * (y * width + x);
    img.data.set([rgb[0], rgb[1], rgb[2], 255], i);
  }
  g.putImageData(img, 0, 0);
}

// -- prediction ------------------------------------------------------------------------------------------
async function predict(inputs) {
  if (channels && inputs.length === height) showPreview(inputs);
  $("sent").textContent = JSON.stringify(inputs);
  status("Predicting\u2026");
  try {
    const response = await fetch("predict", { method: "POST", headers: { "Content-Type": "application/json" },
                                              body: JSON.stringify({ inputs }) });
    const body = await response.json();
    if (!response.ok) { status(body.error || response.statusText, true); return; }
    render(body.predictions[0]);
    status("");
  } catch (err) { status("The server did not answer: " + err, true); }
  document.body.dataset.state = "done";
}

function render(p) {
  const bars = $("bars");
  bars.textContent = "";
  if (!p) { $("top-label").textContent = "\u2013"; $("top-prob").textContent = ""; return; }
  if (p.values) { $("top-label").textContent = p.values.map((v) => v.toPrecision(4)).join(", "); return; }
  $("top-label").textContent = p.label;
  $("top-prob").textContent = (100 * p.probabilities[0].probability).toFixed(1) + "% sure";
  const shown = p.probabilities.length <= 12 ? [...p.probabilities].sort((a, b) => a.index - b.index)
                                              : p.probabilities.slice(0, 10);
  for (const c of shown) {
    const li = document.createElement("li");
    li.id = "p-" + c.index; li.dataset.probability = c.probability;
    if (c.index === p.index) li.className = "best";
    li.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span>' +
                   '<span class="pct"></span>';
    li.querySelector(".name").textContent = c.label;
    li.querySelector(".fill").style.width = (100 * c.probability).toFixed(1) + "%";
    li.querySelector(".pct").textContent = (100 * c.probability).toFixed(1) + "%";
    bars.appendChild(li);
  }
}

// -- tabular input -------------------------------------------------------------------------------------
$("send").addEventListener("click", () => {
  const text = $("features").value.trim();
  let inputs;
  try { inputs = text.startsWith("[") ? JSON.parse(text) : text.split(/[\s,;]+/).map(Number); }
  catch (err) { status("Not a list of numbers: " + err.message, true); return; }
  predict(inputs);
});

// -- start ---------------------------------------------------------------------------------------------
async function start() {
  try { info = await (await fetch("info")).json(); }
  catch (err) { status("Cannot reach the server: " + err, true); return; }
  const meta = info.metadata || {}, metrics = meta.metrics || {};
  $("name").textContent = info.name;
  document.title = info.name + " \u00b7 chainrule";
  const about = [];
  if (info.class_names) about.push(info.class_names.length + " classes");
  const kind = info.image_mode ? (info.image_mode === "L" ? " grayscale" : " colour") + " image" : " features";
  about.push("input " + info.input_shape.slice(0, 2).join("\u00d7") + kind);
  for (const [k, v] of Object.entries(metrics)) {
    if (/accuracy/.test(k)) about.push(k.replace(/_/g, " ") + " " + (100 * v).toFixed(1) + "%");
  }
  if (meta.library_version) about.push("chainrule " + meta.library_version);
  $("about").textContent = about.join(" \u00b7 ");
  const params = new URLSearchParams(location.search);
  if (info.image_mode) {
    [height, width] = info.input_shape; channels = info.image_mode === "RGB" ? 3 : 1;
    $("preview").width = width; $("preview").height = height;
    $("seen-text").textContent = "what the model sees (" + width + "\u00d7" + height + ")";
    $("image-input").hidden = false;
    if (channels === 3) {
      pad.hidden = true; $("clear").hidden = true; $("input-title").textContent = "Upload an image";
    }
    else $("input-title").textContent = "Draw a digit, or upload an image";
    clearPad(); showPreview(null);
    status(channels === 3 ? "Upload an image." : "Draw in the black square.");
    if (params.get("draw")) {
      const k = pad.width / width;
      for (const s of params.get("draw").split(";")) {
        stroke(s.trim().split(/\s+/).map((p) => p.split(",").map((v) => k * Number(v))));
      }
      predict(drawingPixels());
    }
    if (params.get("image")) loadImage(params.get("image"));
  } else {
    channels = 0;
    $("table-input").hidden = false;
    $("input-title").textContent = "Features";
    const names = (info.feature_names || []).join(", ");
    $("features").placeholder = names || "numbers, shape " + info.input_shape.join("\u00d7");
    status("Enter " + info.input_shape.join("\u00d7") + " numbers, then Predict.");
  }
  if (!params.get("draw") && !params.get("image")) document.body.dataset.state = "ready";
}
start();
</script>
</body>
</html>
"""
