/**
 * The preview page: one self-contained HTML document (inline style and script, no external
 * resources, no build step). It draws the newest picture on a canvas (asking for the next one
 * only after drawing the last, so a slow or hidden tab simply gets fewer), the free-space
 * boundary on top, the numbers from the event stream, a latency plot, the model's legend, and
 * the final summary. The token of its own URL is passed on to every request.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>seg-stream preview</title>
<style>
  :root { color-scheme: dark; font: 14px/1.4 system-ui, sans-serif; }
  body { margin: 0; background: #111; color: #ddd; display: flex; flex-wrap: wrap; gap: 12px; padding: 12px; box-sizing: border-box; min-height: 100vh; }
  #left { flex: 3 1 480px; min-width: 0; display: flex; flex-direction: column; gap: 8px; }
  #right { flex: 1 1 260px; display: flex; flex-direction: column; gap: 10px; }
  header { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
  h1 { font-size: 16px; margin: 0; font-weight: 600; }
  #input { color: #aaa; overflow-wrap: anywhere; }
  #state { padding: 2px 8px; border-radius: 10px; background: #444; font-weight: 600; }
  #state.running { background: #1f6f3a; } #state.reconnecting, #state.connecting, #state.starting { background: #8a6d1a; }
  #state.finished { background: #2a4f8a; } #state.failed { background: #8a2a2a; }
  #stage { position: relative; background: #000; display: flex; justify-content: center; align-items: center; min-height: 200px; max-height: 75vh; }
  #picture { width: 100%; height: auto; max-height: 75vh; object-fit: contain; display: block; }
  #nopic { position: absolute; color: #888; }
  fieldset { border: 1px solid #333; border-radius: 6px; margin: 0; padding: 6px 10px; }
  legend { color: #aaa; }
  label { margin-right: 12px; white-space: nowrap; }
  table { border-collapse: collapse; width: 100%; }
  td { padding: 2px 4px; border-bottom: 1px solid #222; } td:last-child { text-align: right; font-variant-numeric: tabular-nums; }
  #bar { height: 6px; background: #333; border-radius: 3px; overflow: hidden; } #bar > div { height: 100%; width: 0; background: #3a8; }
  #plot { width: 100%; height: 90px; background: #181818; border-radius: 4px; }
  .sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: middle; margin-right: 6px; border: 1px solid #555; }
  #classes div { white-space: nowrap; } #classes .off { opacity: 0.55; }
  #end { display: none; border: 1px solid #2a4f8a; border-radius: 6px; padding: 8px; }
  #end.failed { border-color: #8a2a2a; }
  #summary { white-space: pre-wrap; overflow-wrap: anywhere; font: 12px/1.3 ui-monospace, monospace; max-height: 40vh; overflow: auto; margin: 6px 0 0; }
  #conn { color: #c96; }
</style>
</head>
<body>
<div id="left">
  <header><h1>seg-stream</h1><span id="state" class="starting">starting</span><span id="input"></span><span id="conn"></span></header>
  <div id="stage"><canvas id="picture" width="640" height="360"></canvas><span id="nopic">waiting for the first picture…</span></div>
  <fieldset><legend>show</legend>
    <label><input type="radio" name="view" value="overlay" checked> overlay</label>
    <label><input type="radio" name="view" value="classes"> class colours</label>
    <label><input type="radio" name="view" value="free-space"> free-space mask</label>
    <label id="bdlabel" hidden><input type="checkbox" id="bd" checked> free-space boundary</label>
  </fieldset>
  <div id="end"><b id="endtitle">finished</b><pre id="summary"></pre></div>
</div>
<div id="right">
  <div id="bar"><div></div></div>
  <table>
    <tr><td>frames</td><td id="frames">–</td></tr>
    <tr><td>speed</td><td id="fps">–</td></tr>
    <tr><td>time left</td><td id="eta">–</td></tr>
    <tr><td>latency p50 / p95</td><td id="latency">–</td></tr>
    <tr><td>dropped frames</td><td id="dropped">–</td></tr>
    <tr><td>reconnects</td><td id="reconnects">–</td></tr>
    <tr><td>road / vehicle / free space</td><td id="shares">–</td></tr>
  </table>
  <div><div style="color:#aaa">latency (ms), last minutes: mean and max per second</div><canvas id="plot" width="300" height="90"></canvas></div>
  <fieldset><legend id="model">classes</legend><div id="classes"></div></fieldset>
</div>
<script>
(function () {
  'use strict';
  var params = new URLSearchParams(location.search), token = params.get('token');
  function api(path, params) {
    var q = new URLSearchParams(params || {});
    if (token) q.set('token', token);
    var s = q.toString();
    return path + (s ? '?' + s : '');
  }
  var $ = function (id) { return document.getElementById(id); };
  var canvas = $('picture'), ctx = canvas.getContext('2d');
  var view = ['overlay', 'classes', 'free-space'].indexOf(params.get('view')) >= 0 ? params.get('view') : 'overlay', last = -1, ended = false, boundary = null, showBoundary = true, legendShown = false;
  document.querySelectorAll('input[name=view]').forEach(function (r) {
    r.checked = r.value === view;
    r.addEventListener('change', function () { view = r.value; last = -1; });
  });
  $('bd').addEventListener('change', function () { showBoundary = $('bd').checked; });
  function pct(v) { return (v * 100).toFixed(1) + '%'; }
  function clock(s) {
    s = Math.round(s); var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), ss = s % 60;
    return (h ? h + ':' + String(m).padStart(2, '0') : m) + ':' + String(ss).padStart(2, '0');
  }
  function drawBoundary() {
    if (!boundary || !showBoundary || view === 'classes') return;
    var w = canvas.width, h = canvas.height, n = boundary.length, open = false;
    ctx.strokeStyle = '#ffd400'; ctx.lineWidth = Math.max(2, w / 320); ctx.beginPath();
    for (var i = 0; i < n; i++) {
      var v = boundary[i];
      if (v === null) { open = false; continue; }
      var x = ((i + 0.5) / n) * w, y = v * h;
      if (open) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      open = true;
    }
    ctx.stroke();
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  async function pictures() {
    while (!ended || last < 0) {
      if (document.hidden) { await sleep(500); continue; }
      var asked = view;
      try {
        var res = await fetch(api('/frame.jpg', { view: asked, after: String(last) }), { cache: 'no-store' });
        if (res.status === 200) {
          var blob = await res.blob();
          var img = await createImageBitmap(blob);
          var b = res.headers.get('X-Free-Space-Boundary');
          boundary = b === null ? null : b.split(',').map(function (v) { return v === '' ? null : Number(v); });
          if (canvas.width !== img.width || canvas.height !== img.height) { canvas.width = img.width; canvas.height = img.height; }
          ctx.drawImage(img, 0, 0);
          if (img.close) img.close();
          drawBoundary();
          $('nopic').style.display = 'none';
          if (asked === view) last = Number(res.headers.get('X-Picture'));
          canvas.dataset.frame = res.headers.get('X-Frame-Index');
        } else if (res.status === 204) {
          if (ended) break;
        } else {
          await sleep(1000);
        }
      } catch (e) {
        await sleep(1000);
      }
    }
  }
  function plot(series) {
    var p = $('plot'), c = p.getContext('2d'), w = p.width, h = p.height;
    c.clearRect(0, 0, w, h);
    if (!series || series.length < 1) return;
    var t1 = series[series.length - 1].t, t0 = Math.max(0, t1 - 299), top = 1;
    series.forEach(function (s) { top = Math.max(top, s.max); });
    function line(key, color) {
      c.strokeStyle = color; c.beginPath();
      series.forEach(function (s, i) {
        var x = t1 === t0 ? w : ((s.t - t0) / (t1 - t0)) * (w - 2) + 1, y = h - 12 - (s[key] / top) * (h - 16);
        if (i) c.lineTo(x, y); else c.moveTo(x, y);
      });
      c.stroke();
    }
    line('max', '#a55'); line('mean', '#5c8');
    c.fillStyle = '#888'; c.font = '10px sans-serif'; c.fillText(Math.round(top) + ' ms', 4, 10);
    c.fillText(clock(t1 - t0) + ' shown', 4, h - 2);
  }
  function legend(l) {
    if (legendShown || !l) return;
    legendShown = true;
    $('model').textContent = 'classes of ' + l.model + ' (bold: on the overlay)';
    var box = $('classes');
    l.classes.forEach(function (k) {
      var d = document.createElement('div'), s = document.createElement('span');
      s.className = 'sw'; s.style.background = 'rgb(' + k.color.join(',') + ')';
      d.appendChild(s); d.appendChild(document.createTextNode(k.name));
      if (k.painted) d.style.fontWeight = '600'; else d.className = 'off';
      box.appendChild(d);
    });
    $('bdlabel').hidden = !l.boundary;
  }
  function show(s) {
    var st = $('state');
    st.textContent = s.state + (s.error ? ': ' + s.error.code : '');
    st.className = s.state;
    $('input').textContent = s.input || '';
    $('frames').textContent = s.frames + (s.total !== undefined && s.total !== null ? ' / ' + s.total : '');
    $('bar').firstElementChild.style.width = s.total ? pct(Math.min(1, s.frames / s.total)) : '0';
    $('fps').textContent = s.fps.toFixed(1) + ' fps';
    $('eta').textContent = s.etaSeconds !== undefined && s.etaSeconds !== null ? clock(s.etaSeconds) : '–';
    $('latency').textContent = s.latencyMs ? s.latencyMs.p50 + ' / ' + s.latencyMs.p95 + ' ms' : '–';
    $('dropped').textContent = String(s.droppedFrames);
    $('reconnects').textContent = String(s.reconnects);
    $('shares').textContent = s.shares ? pct(s.shares.road) + ' / ' + pct(s.shares.vehicle) + ' / ' + pct(s.shares.freeSpace) : '–';
    plot(s.latencySeries);
    legend(s.legend);
  }
  function finished(s) {
    ended = true;
    show(s);
    var box = $('end');
    box.style.display = 'block';
    box.className = s.state;
    $('endtitle').textContent = s.state === 'failed' ? 'failed: ' + s.error.code + ': ' + s.error.message : 'finished: final summary';
    $('summary').textContent = s.summary !== undefined ? JSON.stringify(s.summary, null, 2) : '';
    $('conn').textContent = '';
  }
  var es = new EventSource(api('/events'));
  es.addEventListener('stats', function (e) { $('conn').textContent = ''; show(JSON.parse(e.data)); });
  es.addEventListener('end', function (e) { es.close(); finished(JSON.parse(e.data)); });
  es.onerror = function () { if (!ended) $('conn').textContent = 'lost the connection to the run; retrying…'; };
  pictures();
})();
</script>
</body>
</html>
`;
