// Releases app behaviour. No inline scripts anywhere (see the Content-Security-Policy).
(() => {
  // On the advance form, the pass count and report only matter for the regression stage.
  function tidyAdvanceForms(root) {
    root.querySelectorAll("form.advance").forEach((form) => {
      const regression = form.dataset.nextStage === "regression_passed";
      ["pass_count", "report"].forEach((name) => {
        const input = form.querySelector(`[name="${name}"]`);
        const field = input && input.closest(".field");
        if (field) field.classList.toggle("hidden-for-stage", !regression);
      });
    });
  }

  // "Copy the notes" buttons: shown only where the clipboard is available.
  function wireCopyButtons(root) {
    root.querySelectorAll("button.copy-notes").forEach((button) => {
      if (!navigator.clipboard || button.dataset.wired) return;
      button.dataset.wired = "1";
      button.hidden = false;
      button.addEventListener("click", () => {
        const source = document.getElementById(button.dataset.copyTarget);
        if (!source) return;
        navigator.clipboard.writeText(source.textContent).then(() => { button.textContent = "Copied"; });
      });
    });
  }

  function wire(root) { tidyAdvanceForms(root); wireCopyButtons(root); }
  document.addEventListener("DOMContentLoaded", () => wire(document));
  document.addEventListener("htmx:afterSwap", (event) => wire(event.detail.target.parentNode || document));
})();
