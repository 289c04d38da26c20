// The dashboard's stylesheet, served at <basePath>/assets/dashboard.css.
export const DASHBOARD_STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f7f8fa;
  --accent: #2f5bea; --bad: #c0362c; --good: #1f7a4d; --warn: #a15c00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; align-items: center; gap: 24px; padding: 12px 24px; background: #fff; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; font-size: 16px; color: var(--ink); text-decoration: none; }
header nav { display: flex; gap: 16px; flex: 1; }
header nav a { color: var(--muted); text-decoration: none; }
header nav a:hover { color: var(--ink); }
form { display: flex; gap: 8px; margin: 0; }
input { font: inherit; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; min-width: 220px; }
button { font: inherit; padding: 6px 12px; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
button:hover { border-color: var(--accent); }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); }
button:disabled { opacity: .5; cursor: default; }
main { padding: 24px; max-width: 1200px; }
h1 { font-size: 20px; margin: 0 0 16px; }
h2 { font-size: 15px; margin: 24px 0 8px; }
h1 .mono { font-size: inherit; }
a { color: var(--accent); }
.muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; }
.card { display: block; padding: 14px 16px; background: #fff; border: 1px solid var(--line); border-radius: 8px; color: inherit; text-decoration: none; }
a.card:hover { border-color: var(--accent); }
.card .count { font-size: 26px; font-weight: 600; }
.card .label { color: var(--muted); text-transform: capitalize; }
.card.failed .count { color: var(--bad); }
td.count-cell { font-variant-numeric: tabular-nums; }
td.count-cell.failed a { color: var(--bad); font-weight: 600; }
.toolbar { display: flex; gap: 8px; align-items: center; margin: 16px 0; flex-wrap: wrap; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
th, td { text-align: left; padding: 8px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
td.error { color: var(--bad); max-width: 420px; overflow-wrap: anywhere; }
pre { margin: 0; padding: 12px; background: #fff; border: 1px solid var(--line); border-radius: 8px; overflow: auto; max-height: 360px;
  font: 12.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.error { color: var(--bad); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 24px; margin: 0; padding: 16px; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
dt { color: var(--muted); }
dd { margin: 0; }
.state { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; background: #eef1f6; }
.state.failed { background: #fdecea; color: var(--bad); }
.state.completed { background: #e6f4ec; color: var(--good); }
.state.active { background: #e8eefc; color: var(--accent); }
.state.delayed, .state.waiting { background: #fff4e0; color: var(--warn); }
#notice { margin: 16px 24px 0; padding: 10px 14px; border-radius: 6px; background: #e8eefc; }
#notice.error { background: #fdecea; color: var(--bad); }
`;
