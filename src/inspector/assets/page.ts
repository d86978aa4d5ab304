/**
 * The inspector's page. It holds no data: the script fills it from the API,
 * always through textContent and attributes, never through HTML parsing.
 */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>klevdb inspector</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/style.css">
<script type="module" src="/js/app.js"></script>
</head>
<body>
<header>
  <h1>klevdb <span>inspector</span></h1>
  <label class="log-select">Log <select id="log-select" aria-label="log"></select></label>
  <code id="log-dir" class="dir"></code>
  <span class="badge" title="The inspector opens logs readonly and has no endpoint that changes anything">read-only</span>
</header>
<nav id="tabs" role="tablist">
  <button type="button" role="tab" data-tab="overview">Overview</button>
  <button type="button" role="tab" data-tab="messages">Messages</button>
  <button type="button" role="tab" data-tab="live">Live tail <span id="live-dot" class="dot" hidden></span></button>
  <button type="button" role="tab" data-tab="projections" id="tab-button-projections" hidden>Projections</button>
  <button type="button" role="tab" data-tab="subscriptions" id="tab-button-subscriptions" hidden>Subscriptions</button>
</nav>
<div id="error" class="error" role="alert" hidden></div>
<main>
<section id="tab-overview" class="tab" hidden>
  <div id="ov-cards" class="cards"></div>
  <div class="heading"><h2>Messages over time</h2><span id="ov-chart-note" class="note"></span><button type="button" id="ov-refresh">Refresh</button></div>
  <div id="ov-chart" class="chart"></div>
  <h2>Segments</h2>
  <table id="ov-segments" class="grid">
    <thead><tr><th>Segment</th><th>Offsets</th><th>Log</th><th class="num">Log size</th><th>Index</th><th>Index flags</th><th class="num">Index size</th></tr></thead>
    <tbody></tbody>
  </table>
</section>

<section id="tab-messages" class="tab" hidden>
  <div class="toolbar">
    <button type="button" id="m-oldest" title="First page">&#xAB; Oldest</button>
    <button type="button" id="m-prev">&#x2039; Previous</button>
    <button type="button" id="m-next">Next &#x203A;</button>
    <button type="button" id="m-newest" title="Last page">Newest &#xBB;</button>
    <label>Per page <select id="m-limit"><option>20</option><option selected>50</option><option>100</option><option>200</option></select></label>
    <form id="m-goto" class="inline"><input id="m-offset" placeholder="offset" inputmode="numeric" size="10" aria-label="offset"><button type="submit">Go to offset</button></form>
  </div>
  <div class="toolbar">
    <form id="m-key-form" class="inline">
      <input id="m-key" placeholder="key" size="24" aria-label="key">
      <select id="m-key-enc" aria-label="key encoding"><option value="text">text</option><option value="hex">hex</option><option value="base64">base64</option></select>
      <button type="submit">Find by key</button>
    </form>
    <form id="m-time-form" class="inline">
      <input id="m-time" placeholder="2024-05-01T12:00:00Z" size="28" aria-label="time">
      <button type="submit">Find by time</button>
    </form>
  </div>
  <p id="m-caption" class="caption"></p>
  <table id="m-table" class="grid messages">
    <thead><tr><th class="num">Offset</th><th>Time</th><th>Key</th><th>Value</th></tr></thead>
    <tbody></tbody>
  </table>
  <div class="toolbar"><button type="button" id="m-more" hidden>More</button><button type="button" id="m-back" hidden>Back to browsing</button></div>
  <div id="m-detail" class="detail" hidden></div>
</section>

<section id="tab-live" class="tab" hidden>
  <div class="toolbar"><button type="button" id="l-toggle">Pause</button><button type="button" id="l-clear">Clear</button><span id="l-status" class="note"></span></div>
  <table id="l-table" class="grid messages">
    <thead><tr><th class="num">Offset</th><th>Time</th><th>Key</th><th>Value</th></tr></thead>
    <tbody></tbody>
  </table>
</section>

<section id="tab-projections" class="tab" hidden>
  <div class="toolbar"><label>Projection <select id="p-select" aria-label="projection"></select></label><button type="button" id="p-refresh">Refresh</button></div>
  <div id="p-cards" class="cards"></div>
  <p id="p-problem" class="warn" hidden></p>
  <form id="p-search" class="toolbar">
    <input id="p-q" placeholder="search keys" size="30" aria-label="search">
    <label><input type="checkbox" id="p-values"> also in states</label>
    <button type="submit">Search</button>
  </form>
  <p id="p-caption" class="caption"></p>
  <table id="p-table" class="grid">
    <thead><tr><th>Key</th><th>State</th><th class="num">Source offset</th><th>Updated</th></tr></thead>
    <tbody></tbody>
  </table>
  <div class="toolbar"><button type="button" id="p-more" hidden>More</button></div>
</section>

<section id="tab-subscriptions" class="tab" hidden>
  <div class="toolbar"><button type="button" id="s-refresh">Refresh</button></div>
  <p id="s-caption" class="caption"></p>
  <table id="s-table" class="grid">
    <thead><tr><th>Subscription</th><th class="num">Committed</th><th class="num">Lag</th><th>Committed at</th><th>Consumer</th></tr></thead>
    <tbody></tbody>
  </table>
</section>
</main>
<footer id="footer"></footer>
</body>
</html>
`;

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f2937"/><rect x="3" y="9" width="2" height="4" fill="#60a5fa"/><rect x="7" y="5" width="2" height="8" fill="#60a5fa"/><rect x="11" y="3" width="2" height="10" fill="#60a5fa"/></svg>
`;
