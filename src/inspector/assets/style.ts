/** The inspector's stylesheet (served as /style.css: the CSP allows no inline style). */
export const STYLE_CSS = `
:root {
  --bg: #f8fafc; --panel: #ffffff; --ink: #0f172a; --muted: #64748b; --line: #e2e8f0;
  --accent: #2563eb; --accent-soft: #dbeafe; --head: #111827; --warn: #b45309; --bad: #b91c1c;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--bg); color: var(--ink); }
header { display: flex; align-items: center; gap: 16px; padding: 10px 20px; background: var(--head); color: #f9fafb; flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; font-weight: 600; }
header h1 span { color: #93c5fd; font-weight: 400; }
header .dir { color: #cbd5e1; font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 45vw; }
header select { margin-left: 6px; }
.badge { margin-left: auto; border: 1px solid #34d399; color: #6ee7b7; border-radius: 999px; padding: 2px 10px; font-size: 12px; }
nav { display: flex; gap: 2px; padding: 0 20px; background: #1f2937; }
nav button { background: none; border: none; color: #cbd5e1; padding: 10px 14px; cursor: pointer; font-size: 14px; border-bottom: 3px solid transparent; }
nav button:hover:not(:disabled) { color: #fff; border-color: transparent; border-bottom-color: #475569; }
nav button[aria-selected="true"], nav button[aria-selected="true"]:hover:not(:disabled) { color: #fff; border-bottom-color: #60a5fa; }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: #22c55e; margin-left: 4px; }
main { padding: 16px 20px 40px; }
h2 { font-size: 15px; margin: 22px 0 8px; }
.heading { display: flex; align-items: baseline; gap: 12px; }
.note { color: var(--muted); font-size: 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .label { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 18px; font-weight: 600; margin-top: 4px; word-break: break-word; }
.card .sub { color: var(--muted); font-size: 12px; margin-top: 2px; }
.chart { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.chart svg { width: 100%; height: 220px; display: block; }
.chart .bar { fill: #3b82f6; }
.chart .bar:hover { fill: #1d4ed8; }
.chart .axis { stroke: #94a3b8; stroke-width: 1; }
.chart .gridline { stroke: #e2e8f0; stroke-width: 1; }
.chart text { fill: #475569; font-size: 11px; }
.chart .empty { fill: #94a3b8; font-size: 14px; }
table.grid { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
.grid th, .grid td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
.grid th { background: #f1f5f9; font-weight: 600; font-size: 12px; color: #334155; }
.grid .num { text-align: right; font-variant-numeric: tabular-nums; }
.grid tbody tr:hover { background: #f8fafc; }
.messages tbody tr { cursor: pointer; }
tr.highlight { background: var(--accent-soft) !important; }
tr.fresh { animation: fresh 1.5s ease-out; }
@keyframes fresh { from { background: #bbf7d0; } to { background: transparent; } }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; color: #334155; font-size: 12px; }
.shown { display: flex; gap: 6px; align-items: flex-start; }
.shown .kind { flex: none; margin-top: 1px; }
td .text, td pre, dd pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; white-space: pre-wrap; word-break: break-all; margin: 0; }
td.value pre { max-height: 6.5em; overflow: hidden; }
.kind { display: inline-block; font-size: 10px; text-transform: uppercase; border-radius: 4px; padding: 0 5px; margin-right: 6px; color: #fff; background: #64748b; vertical-align: 1px; }
.kind.json { background: #0d9488; } .kind.text { background: #6366f1; } .kind.hex { background: #b45309; }
.muted { color: var(--muted); font-style: italic; }
.toolbar { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; margin: 8px 0; }
form.inline { display: flex; gap: 6px; align-items: center; margin: 0; }
button { background: var(--panel); border: 1px solid #cbd5e1; border-radius: 6px; padding: 5px 10px; cursor: pointer; font-size: 13px; color: var(--ink); }
button:hover:not(:disabled) { border-color: var(--accent); color: var(--accent); }
button:disabled { opacity: .45; cursor: default; }
input, select { border: 1px solid #cbd5e1; border-radius: 6px; padding: 5px 8px; font-size: 13px; background: #fff; color: var(--ink); }
.caption { color: #334155; margin: 6px 0; }
.detail { margin-top: 14px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
.detail h3 { margin: 0 0 8px; font-size: 14px; display: flex; justify-content: space-between; }
.detail dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0 0 10px; }
.detail dt { color: var(--muted); }
.detail dd { margin: 0; font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
.detail > pre { background: #0f172a; color: #e2e8f0; padding: 10px; border-radius: 6px; max-height: 60vh; overflow: auto; white-space: pre-wrap; word-break: break-all; font-size: 12px; }
.error { margin: 12px 20px 0; padding: 8px 12px; border-radius: 6px; background: #fef2f2; border: 1px solid #fecaca; color: var(--bad); }
.warn { color: var(--warn); }
.ok { color: #15803d; }
footer { color: var(--muted); font-size: 12px; padding: 0 20px 20px; }
`;
