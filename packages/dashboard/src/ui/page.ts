// The HTML shell of the dashboard. Everything it shows is built by dashboard.js from the JSON API
// with textContent, never as HTML, so payloads and errors cannot inject markup.

/** Escapes text for an HTML attribute or element body. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!,
  );
}

export function dashboardPage(input: { basePath: string; csrfToken: string }): string {
  const base = escapeHtml(input.basePath);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="switchyard-base" content="${base}">
<meta name="switchyard-csrf" content="${escapeHtml(input.csrfToken)}">
<title>Switchyard jobs</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/assets/dashboard.css">
<script src="${base}/assets/dashboard.js" defer></script>
</head>
<body>
<header>
  <a class="brand" href="#/">Switchyard</a>
  <nav><a href="#/">Overview</a><a href="#/schedules">Schedules</a></nav>
  <form id="find" autocomplete="off"><input name="id" placeholder="Find a job by id" aria-label="Job id"><button>Find</button></form>
</header>
<div id="notice" role="status" hidden></div>
<main id="view"><p class="muted">Loading…</p></main>
<noscript>The dashboard needs JavaScript.</noscript>
</body>
</html>
`;
}
