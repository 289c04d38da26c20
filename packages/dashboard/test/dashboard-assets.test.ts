import { describe, expect, it } from "vitest";
import { dashboardPage, escapeHtml } from "../src/ui/page.js";
import { DASHBOARD_SCRIPT } from "../src/ui/script.js";

describe("the dashboard's files", () => {
  it("the script is valid JavaScript and never writes HTML from data", () => {
    expect(() => new Function(DASHBOARD_SCRIPT)).not.toThrow();
    expect(DASHBOARD_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });

  it("the page escapes what it embeds and loads nothing from elsewhere", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    const html = dashboardPage({ basePath: "/ops", csrfToken: '1."><script>' });
    expect(html).toContain('content="1.&quot;&gt;&lt;script&gt;"');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
