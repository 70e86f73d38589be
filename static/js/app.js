// Hypercare's own behaviour. No inline scripts anywhere (see the Content-Security-Policy).
document.addEventListener("DOMContentLoaded", () => {
  // Confirm destructive actions declared with data-confirm="…".
  document.body.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Mark the programme navigation's link for this page: the exact page, else the section it belongs to
  // (the longest link that starts the address: a ticket belongs to Queues, a KPI to the Scorecard).
  const nav = document.querySelector("nav.subnav");
  if (nav && !nav.querySelector("a[aria-current]")) {
    const path = window.location.pathname;
    let best = null;
    for (const link of nav.querySelectorAll("a[href]")) {
      const href = new URL(link.href, window.location.href).pathname;
      const exact = href === path;
      const within = path.startsWith(href) && link !== nav.querySelector("a[href]"); // not the Overview for every page
      if ((exact || within) && (!best || exact || href.length > best.href.length) && !(best && best.exact)) {
        best = { link, href, exact };
      }
    }
    if (best) best.link.setAttribute("aria-current", "page");
  }
  // And the page's own sub-navigation (Scorecard, Telemetry series, Baselines …).
  document.querySelectorAll("nav.subpages a[href]").forEach((link) => {
    if (new URL(link.href, window.location.href).pathname === window.location.pathname) link.setAttribute("aria-current", "page");
  });

  // Tabs that swap only the list below them (htmx): move the "current" mark to the tab chosen.
  document.body.addEventListener("click", (event) => {
    const tab = event.target.closest && event.target.closest(".tabs a[hx-get]");
    if (!tab) return;
    tab.parentElement.querySelectorAll("a[aria-current]").forEach((a) => a.removeAttribute("aria-current"));
    tab.setAttribute("aria-current", "true");
  });
});
