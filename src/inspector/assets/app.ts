/**
 * The inspector's script (served as /app.js). Every key, value, name and
 * message the API returns is user data: it goes into the page only as
 * textContent or as an attribute value, never as HTML (the page's CSP also
 * enforces Trusted Types, so an HTML sink would throw).
 *
 * Kept free of template literals so it can live in this TypeScript string.
 */
export const APP_JS = String.raw`'use strict';
(function () {
  var SVG = 'http://www.w3.org/2000/svg';
  var state = {
    info: null, log: null, tab: 'overview', limit: 50,
    page: null, mode: 'browse', keyQuery: null, timeQuery: null, highlight: null,
    live: null, livePaused: false, liveCount: 0,
    projection: null, pAfter: null, overviewTimer: null
  };

  // ------------------------------------------------------------ DOM helpers

  function $(id) { return document.getElementById(id); }

  /** An element with attributes (set as attributes, never parsed) and children (strings become text nodes). */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var v = attrs[name];
        if (v === undefined || v === null || v === false) return;
        if (name === 'text') node.textContent = String(v);
        else node.setAttribute(name, String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === 'text') node.textContent = String(attrs[name]);
      else node.setAttribute(name, String(attrs[name]));
    });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function fill(node) {
    clear(node);
    for (var i = 1; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function show(node, visible) { node.hidden = !visible; }

  // ------------------------------------------------------------ formatting

  function size(bytes) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var v = bytes, u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return u === 0 ? bytes + ' B' : v.toFixed(1) + ' ' + units[u];
  }

  function count(n) { return Number(n).toLocaleString('en-US'); }

  function ago(seconds) {
    if (seconds === null || seconds === undefined) return '';
    if (seconds < 1) return 'just now';
    if (seconds < 90) return Math.round(seconds) + ' s ago';
    if (seconds < 5400) return Math.round(seconds / 60) + ' min ago';
    if (seconds < 129600) return Math.round(seconds / 3600) + ' h ago';
    return Math.round(seconds / 86400) + ' d ago';
  }

  function duration(seconds) {
    if (seconds < 1) return Math.round(seconds * 1000) + ' ms';
    if (seconds < 90) return seconds.toFixed(1) + ' s';
    if (seconds < 5400) return (seconds / 60).toFixed(1) + ' min';
    if (seconds < 172800) return (seconds / 3600).toFixed(1) + ' h';
    return count(Math.round(seconds / 86400)) + ' days';
  }

  /** A key or value as the API shows it: a kind badge (not for plain text keys) and the text, or a muted placeholder. */
  function shown(s, none, plainText) {
    if (!s || s.kind === 'none') return el('span', { 'class': 'muted', text: none });
    var text = s.text + (s.truncated ? ' \u2026' : '');
    var badge = plainText && s.kind === 'text' ? null : el('span', { 'class': 'kind ' + s.kind, text: s.kind });
    return el('div', { 'class': 'shown' }, badge, el('pre', { 'class': 'text', text: text }));
  }

  function card(label, value, sub) {
    return el('div', { 'class': 'card' }, el('div', { 'class': 'label', text: label }), el('div', { 'class': 'value', text: value }), sub ? el('div', { 'class': 'sub', text: sub }) : null);
  }

  // ------------------------------------------------------------ API

  function api(path, params) {
    var query = new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) {
      if (params[k] !== undefined && params[k] !== null && params[k] !== '') query.set(k, String(params[k]));
    });
    var url = path + (query.toString() ? '?' + query.toString() : '');
    return fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' }).then(function (res) {
      return res.json().catch(function () { return { error: 'bad reply (' + res.status + ')' }; }).then(function (body) {
        if (!res.ok) throw new Error(body && body.error ? body.error : 'request failed (' + res.status + ')');
        return body;
      });
    });
  }

  function fail(err) {
    var box = $('error');
    box.textContent = err && err.message ? err.message : String(err);
    show(box, true);
  }

  function ok() { show($('error'), false); }

  function logParams(extra) {
    var p = { log: state.log ? state.log.id : undefined };
    Object.keys(extra || {}).forEach(function (k) { p[k] = extra[k]; });
    return p;
  }

  // ------------------------------------------------------------ tabs

  function selectTab(tab) {
    if (!$('tab-' + tab)) tab = 'overview';
    state.tab = tab;
    Array.prototype.forEach.call(document.querySelectorAll('#tabs button'), function (b) {
      b.setAttribute('aria-selected', b.getAttribute('data-tab') === tab ? 'true' : 'false');
    });
    Array.prototype.forEach.call(document.querySelectorAll('section.tab'), function (s) { show(s, s.id === 'tab-' + tab); });
    if (history.replaceState) history.replaceState(null, '', '#' + tab);
    clearInterval(state.overviewTimer);
    if (tab === 'overview') {
      loadOverview();
      state.overviewTimer = setInterval(function () { if (!document.hidden) loadOverview(); }, 5000);
    } else if (tab === 'messages') {
      if (!state.page) loadPage('oldest');
    } else if (tab === 'live') {
      if (!state.live && !state.livePaused) startLive();
    } else if (tab === 'projections') {
      loadProjection(true);
    }
  }

  // ------------------------------------------------------------ overview

  function loadOverview() {
    if (!state.log) return;
    var asked = state.log.id;
    api('/api/overview', logParams()).then(function (o) {
      if (!state.log || state.log.id !== asked) return;
      ok();
      renderOverview(o);
    }).catch(fail);
  }

  function indexText(o) {
    var kinds = [o.keyIndex ? 'key' : null, o.timeIndex ? 'time' : null].filter(Boolean);
    return kinds.length ? kinds.join(' + ') : 'none';
  }

  function renderOverview(o) {
    var t = o.timeline;
    fill($('ov-cards'),
      card('Messages', count(o.messages)),
      card('Size', size(o.size), count(o.size) + ' bytes'),
      card('Offsets', o.firstOffset === null ? '\u2013' : count(o.firstOffset) + ' \u2026 ' + count(o.nextOffset - 1), 'next offset ' + count(o.nextOffset)),
      card('Segments', count(o.segments)),
      card('Indexes', indexText(o), 'from ' + o.indexFrom),
      card('First message', t.firstTime ? t.firstTime.slice(0, 10) : '\u2013', t.firstTime ? t.firstTime.slice(11) : null),
      card('Last message', t.lastTime ? t.lastTime.slice(0, 10) : '\u2013', t.lastTime ? t.lastTime.slice(11) : null));
    if (t.firstTime && !$('m-time').value) $('m-time').setAttribute('placeholder', t.firstTime);
    $('ov-chart-note').textContent = t.counts.length ? (t.sampled ? 'estimated from a sample of the messages' : 'every message counted') + ', ' + formatBucket(t.bucketMicros) + ' per bar' : '';
    fill($('ov-chart'), chart(t));
    var body = clear($('ov-segments').tBodies[0]);
    o.segmentFiles.forEach(function (s) {
      var range = s.head ? count(s.offset) + ' \u2026 (head)' : count(s.offset) + ' \u2026 ' + count(s.lastOffset);
      body.appendChild(el('tr', null,
        el('td', null, el('code', { text: s.file })),
        el('td', { text: range }),
        el('td', { text: s.logVersion || '\u2013' }),
        el('td', { 'class': 'num', text: size(s.logSize) }),
        el('td', { 'class': s.indexVersion ? null : 'warn', text: s.indexVersion || 'missing' }),
        el('td', { text: flagsText(s) }),
        el('td', { 'class': 'num', text: s.indexSize === null ? '\u2013' : size(s.indexSize) })));
    });
  }

  function flagsText(s) {
    if (!s.indexFlags) return s.indexVersion === 'V1' ? 'not recorded (V1)' : '\u2013';
    var kinds = [s.indexFlags.keys ? 'keys' : null, s.indexFlags.times ? 'times' : null].filter(Boolean);
    return kinds.length ? kinds.join(' + ') : 'none';
  }

  function formatBucket(micros) {
    var s = micros / 1e6;
    if (s < 1) return Math.max(1, Math.round(micros / 1000)) + ' ms';
    return duration(s);
  }

  /** An SVG bar chart of the timeline, drawn with DOM calls (no library, no markup strings). */
  function chart(t) {
    var W = 900, H = 220, left = 52, right = 12, top = 12, bottom = 34;
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'messages over time' });
    if (!t.counts.length) {
      root.appendChild(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', 'class': 'empty', text: 'no messages' }));
      return root;
    }
    var max = Math.max.apply(null, t.counts.concat([1]));
    var plotW = W - left - right, plotH = H - top - bottom;
    var bw = plotW / t.counts.length;
    [0, 0.5, 1].forEach(function (f) {
      var y = top + plotH * (1 - f);
      root.appendChild(svg('line', { x1: left, x2: W - right, y1: y, y2: y, 'class': 'gridline' }));
      root.appendChild(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', text: count(Math.round(max * f)) }));
    });
    t.counts.forEach(function (c, i) {
      var h = plotH * c / max;
      var from = new Date((t.fromMicros + i * t.bucketMicros) / 1000).toISOString();
      var to = new Date((t.fromMicros + (i + 1) * t.bucketMicros) / 1000).toISOString();
      root.appendChild(svg('rect', { 'class': 'bar', x: left + i * bw + 1, y: top + plotH - h, width: Math.max(1, bw - 2), height: h, 'data-count': c },
        svg('title', { text: from + ' \u2013 ' + to + ': ' + count(c) + ' messages' })));
    });
    root.appendChild(svg('line', { x1: left, x2: W - right, y1: top + plotH, y2: top + plotH, 'class': 'axis' }));
    var end = t.fromMicros + t.counts.length * t.bucketMicros;
    [[left, 'start', t.fromMicros], [left + plotW / 2, 'middle', (t.fromMicros + end) / 2], [W - right, 'end', end]].forEach(function (a) {
      root.appendChild(svg('text', { x: a[0], y: H - 12, 'text-anchor': a[1], text: new Date(a[2] / 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') }));
    });
    return root;
  }

  // ------------------------------------------------------------ messages

  function messageRow(m, highlight) {
    var row = el('tr', { 'data-offset': m.offset, 'class': highlight ? 'highlight' : null },
      el('td', { 'class': 'num', text: m.offset }),
      el('td', { 'class': 'time', text: m.time.replace('T', ' ') }),
      el('td', { 'class': 'key' }, shown(m.key, '(no key)', true)),
      el('td', { 'class': 'value' }, shown(m.value, '(tombstone)')));
    row.addEventListener('click', function () { openDetail(m.offset); });
    return row;
  }

  function setMessages(messages, caption) {
    var body = clear($('m-table').tBodies[0]);
    messages.forEach(function (m) { body.appendChild(messageRow(m, m.offset === state.highlight)); });
    if (!messages.length) body.appendChild(el('tr', null, el('td', { colspan: 4, 'class': 'muted', text: 'no messages' })));
    $('m-caption').textContent = caption;
  }

  function loadPage(from) {
    if (!state.log) return;
    state.mode = 'browse';
    show($('m-more'), false);
    show($('m-back'), false);
    api('/api/messages', logParams({ from: from, limit: state.limit })).then(function (p) {
      ok();
      state.page = p;
      var last = p.messages.length ? p.messages[p.messages.length - 1].offset : null;
      var caption = p.messages.length
        ? 'Offsets ' + count(p.messages[0].offset) + ' \u2026 ' + count(last) + ' (' + p.messages.length + ' messages) of ' + (p.firstOffset === null ? '\u2013' : count(p.firstOffset)) + ' \u2026 ' + count(p.endOffset - 1)
        : 'No messages from offset ' + count(p.from) + ' (the log ends at ' + count(p.endOffset) + ')';
      setMessages(p.messages, caption);
      $('m-prev').disabled = p.prevOffset === null;
      $('m-oldest').disabled = p.prevOffset === null;
      $('m-next').disabled = p.nextOffset >= p.endOffset;
      $('m-newest').disabled = p.nextOffset >= p.endOffset;
    }).catch(fail);
  }

  function findKey(more) {
    var k = $('m-key').value;
    if (!k) { fail(new Error('enter a key to find')); return; }
    var enc = $('m-key-enc').value;
    var from = more && state.keyQuery ? state.keyQuery.nextOffset : 'oldest';
    api('/api/key', logParams({ k: k, enc: enc, from: from, limit: state.limit })).then(function (r) {
      ok();
      state.mode = 'key';
      var shownBefore = more && state.keyQuery ? state.keyQuery.messages : [];
      var all = shownBefore.concat(r.messages);
      state.keyQuery = { messages: all, nextOffset: r.nextOffset };
      state.highlight = r.latest ? r.latest.offset : null;
      var caption = all.length
        ? 'Messages with key \u201c' + r.key.text + '\u201d: ' + all.length + (r.done ? '' : '+') + (r.latest ? ', the newest at offset ' + count(r.latest.offset) : '') + (r.indexed ? '' : ' (no key index: found by reading the log)')
        : (r.done ? 'No message with key \u201c' + r.key.text + '\u201d' : 'No message with key \u201c' + r.key.text + '\u201d up to offset ' + count(r.nextOffset) + ' yet');
      setMessages(all, caption);
      show($('m-more'), !r.done);
      show($('m-back'), true);
    }).catch(fail);
  }

  function findTime(from) {
    var t = $('m-time').value.trim() || $('m-time').getAttribute('placeholder');
    api('/api/time', logParams({ t: t, from: from || 'oldest' })).then(function (r) {
      ok();
      if (r.found) {
        state.highlight = r.found.offset;
        state.timeQuery = null;
        loadPage(r.found.offset);
        $('m-caption').textContent = '';
        return;
      }
      state.mode = 'time';
      state.timeQuery = r;
      setMessages([], r.done ? 'No message at or after ' + r.time : 'No message at or after ' + r.time + ' up to offset ' + count(r.nextOffset) + ' yet (no time index: the log is read in steps)');
      show($('m-more'), !r.done);
      show($('m-back'), true);
    }).catch(fail);
  }

  function openDetail(offset) {
    api('/api/message', logParams({ offset: offset })).then(function (m) {
      var box = $('m-detail');
      var close = el('button', { type: 'button', text: 'Close' });
      close.addEventListener('click', function () { show(box, false); });
      fill(box,
        el('h3', null, el('span', { text: 'Message at offset ' + m.offset }), close),
        el('dl', null,
          el('dt', { text: 'time' }), el('dd', { text: m.time }),
          el('dt', { text: 'key' }), el('dd', null, shown(m.key, '(no key)', true)),
          el('dt', { text: 'value' }), el('dd', { text: m.value.kind === 'none' ? '(tombstone)' : m.value.kind + ', ' + count(m.value.bytes) + ' bytes' }),
          el('dt', { text: 'size in log' }), el('dd', { text: count(m.size) + ' bytes' })),
        m.value.kind === 'none' ? null : el('pre', { 'class': 'value-full', text: m.value.text }));
      show(box, true);
      box.scrollIntoView({ block: 'nearest' });
    }).catch(fail);
  }

  // ------------------------------------------------------------ live tail

  function startLive() {
    stopLive();
    if (!state.log) return;
    var url = '/api/events?' + new URLSearchParams({ log: state.log.id, from: 'newest' }).toString();
    var source = new EventSource(url);
    state.live = source;
    state.livePaused = false;
    $('l-toggle').textContent = 'Pause';
    $('l-status').textContent = 'connecting\u2026';
    source.addEventListener('ready', function (e) {
      var r = JSON.parse(e.data);
      $('l-status').textContent = 'following ' + state.log.label + ' from offset ' + count(r.nextOffset) + ' \u2014 ' + state.liveCount + ' received';
      $('l-table').setAttribute('data-ready', 'true');
      show($('live-dot'), true);
    });
    source.addEventListener('message', function (e) {
      var m = JSON.parse(e.data);
      state.liveCount++;
      var body = $('l-table').tBodies[0];
      var row = messageRow(m, false);
      row.classList.add('fresh');
      body.insertBefore(row, body.firstChild);
      while (body.rows.length > 500) body.deleteRow(body.rows.length - 1);
      $('l-status').textContent = 'following ' + state.log.label + ' \u2014 ' + state.liveCount + ' received, newest offset ' + count(m.offset);
    });
    source.addEventListener('failed', function (e) {
      $('l-status').textContent = 'stopped: ' + JSON.parse(e.data).error;
    });
    source.addEventListener('error', function () {
      if (source.readyState !== EventSource.OPEN) $('l-status').textContent = 'disconnected; reconnecting\u2026';
    });
  }

  function stopLive() {
    if (state.live) state.live.close();
    state.live = null;
    $('l-table').removeAttribute('data-ready');
    show($('live-dot'), false);
  }

  // ------------------------------------------------------------ projections

  function loadProjection(fresh) {
    var name = $('p-select').value;
    if (!name) return;
    if (fresh) state.pAfter = null;
    var q = $('p-q').value;
    var values = $('p-values').checked;
    api('/api/projection', { name: name, q: q, values: values ? 1 : 0, after: state.pAfter, limit: 100 }).then(function (p) {
      ok();
      renderProjection(p, !fresh);
    }).catch(fail);
  }

  function renderProjection(p, more) {
    var c = p.checkpoint;
    var lag = p.lag
      ? card('Lag', count(p.lag.events) + ' events', p.lag.events ? 'oldest ' + duration(p.lag.seconds) + ' behind; source head ' + count(p.lag.sourceHead) : 'caught up with the source (head ' + count(p.lag.sourceHead) + ')')
      : card('Lag', 'unknown', 'start the inspector with --source <events log>');
    fill($('p-cards'),
      card('Keys', count(p.keys)),
      card('Checkpoint', c ? 'next ' + count(c.next) : 'none', c ? 'last event ' + count(c.last) + ', version ' + c.version : 'nothing committed yet'),
      lag,
      card('Committed', p.committedAt ? ago(p.committedAgo) : '\u2013', p.committedAt ? p.committedAt.replace('T', ' ') : null),
      card('Generation', p.generation === null ? '\u2013' : String(p.generation), p.uncommitted ? p.uncommitted + ' records after the checkpoint' : null),
      card('Dead letters', count(p.deadLetters)));
    var problem = $('p-problem');
    problem.textContent = p.checkpointProblem ? 'The checkpoint cannot be trusted: ' + p.checkpointProblem : '';
    show(problem, Boolean(p.checkpointProblem));
    var body = $('p-table').tBodies[0];
    if (!more) clear(body);
    p.states.forEach(function (s) {
      body.appendChild(el('tr', { 'data-key': s.key },
        el('td', null, el('code', { text: s.key })),
        el('td', { 'class': 'value' }, shown(s.state, '(none)')),
        el('td', { 'class': 'num', text: s.sourceOffset === null ? '\u2013' : count(s.sourceOffset) }),
        el('td', { 'class': 'time', text: s.time.replace('T', ' ') })));
    });
    if (!body.rows.length) body.appendChild(el('tr', null, el('td', { colspan: 4, 'class': 'muted', text: p.query ? 'no key matches' : 'no states' })));
    var shownRows = body.querySelectorAll('tr[data-key]').length;
    $('p-caption').textContent = p.matched !== null
      ? (p.query ? count(p.matched) + ' of ' + count(p.keys) + ' keys match \u201c' + p.query + '\u201d' : count(p.keys) + ' keys') + ', ' + count(shownRows) + ' shown'
      : count(shownRows) + ' states found containing \u201c' + p.query + '\u201d' + (p.nextAfter ? ' so far' : '');
    state.pAfter = p.nextAfter;
    show($('p-more'), p.nextAfter !== null);
  }

  // ------------------------------------------------------------ start

  function chooseLog(id) {
    state.log = state.info.logs.filter(function (l) { return l.id === id; })[0] || state.info.logs[0] || null;
    $('log-dir').textContent = state.log ? state.log.dir : state.info.dir;
    state.page = null;
    state.highlight = null;
    state.liveCount = 0;
    clear($('l-table').tBodies[0]);
    if (state.live || state.tab === 'live') startLive();
    selectTab(state.tab);
  }

  function wire() {
    Array.prototype.forEach.call(document.querySelectorAll('#tabs button'), function (b) {
      b.addEventListener('click', function () { selectTab(b.getAttribute('data-tab')); });
    });
    $('log-select').addEventListener('change', function () { chooseLog($('log-select').value); });
    $('ov-refresh').addEventListener('click', loadOverview);
    $('m-oldest').addEventListener('click', function () { state.highlight = null; loadPage('oldest'); });
    $('m-newest').addEventListener('click', function () { state.highlight = null; loadPage('newest'); });
    $('m-prev').addEventListener('click', function () { if (state.page && state.page.prevOffset !== null) loadPage(state.page.prevOffset); });
    $('m-next').addEventListener('click', function () { if (state.page) loadPage(state.page.nextOffset); });
    $('m-limit').addEventListener('change', function () { state.limit = Number($('m-limit').value); loadPage(state.page ? state.page.from : 'oldest'); });
    $('m-goto').addEventListener('submit', function (e) {
      e.preventDefault();
      var v = $('m-offset').value.trim();
      state.highlight = /^\d+$/.test(v) ? Number(v) : null;
      loadPage(v || 'oldest');
    });
    $('m-key-form').addEventListener('submit', function (e) { e.preventDefault(); findKey(false); });
    $('m-time-form').addEventListener('submit', function (e) { e.preventDefault(); findTime(null); });
    $('m-more').addEventListener('click', function () {
      if (state.mode === 'key') findKey(true);
      else if (state.mode === 'time' && state.timeQuery) findTime(state.timeQuery.nextOffset);
    });
    $('m-back').addEventListener('click', function () { loadPage(state.page ? state.page.from : 'oldest'); });
    $('l-toggle').addEventListener('click', function () {
      if (state.live) { stopLive(); state.livePaused = true; $('l-toggle').textContent = 'Resume'; $('l-status').textContent = 'paused'; }
      else startLive();
    });
    $('l-clear').addEventListener('click', function () { clear($('l-table').tBodies[0]); state.liveCount = 0; });
    $('p-select').addEventListener('change', function () { loadProjection(true); });
    $('p-refresh').addEventListener('click', function () { loadProjection(true); });
    $('p-search').addEventListener('submit', function (e) { e.preventDefault(); loadProjection(true); });
    $('p-more').addEventListener('click', function () { loadProjection(false); });
  }

  function start() {
    wire();
    api('/api/info').then(function (info) {
      state.info = info;
      var select = $('log-select');
      info.logs.forEach(function (l) { select.appendChild(el('option', { value: l.id, text: l.label })); });
      var projections = $('p-select');
      info.projections.forEach(function (name) { projections.appendChild(el('option', { value: name, text: name })); });
      show($('tab-button-projections'), info.projections.length > 0);
      $('footer').textContent = 'klevdb ' + info.version + ' \u00b7 ' + info.dir + ' \u00b7 read-only';
      var tab = location.hash.replace(/^#/, '');
      state.tab = tab || (info.logs.length ? 'overview' : 'projections');
      document.body.setAttribute('data-ready', 'true');
      chooseLog(info.logs.length ? info.logs[0].id : null);
    }).catch(fail);
  }

  start();
})();
`;
