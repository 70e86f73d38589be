// The handover pages' behaviour (no inline scripts: see the Content-Security-Policy).
document.addEventListener("DOMContentLoaded", () => {
  // The exit report's Print button.
  document.body.addEventListener("click", (event) => {
    const button = event.target.closest("[data-print]");
    if (button) window.print();
  });
});
