// Scorecard behaviour: print, copy a new token, bring a drill-down into view. No inline scripts (CSP).
document.addEventListener("DOMContentLoaded", () => {
  document.body.addEventListener("click", (event) => {
    const printButton = event.target.closest(".js-print");
    if (printButton) {
      window.print();
      return;
    }
    const copyButton = event.target.closest(".js-copy");
    if (copyButton) {
      const source = document.getElementById(copyButton.dataset.copyTarget);
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent.trim()).then(() => {
          copyButton.textContent = "Copied";
        });
      }
    }
  });
  // After htmx swaps a KPI's chart into the drill-down panel, move the reader there.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "drilldown") {
      const heading = event.detail.target.querySelector("h2");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: true });
      }
      event.detail.target.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  });
});
