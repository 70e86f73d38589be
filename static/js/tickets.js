// The ticket pages' behaviour. Everything works without it; it only smooths htmx failures.
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  // htmx does not swap error responses: say so in place instead of failing silently.
  document.body.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    const message =
      status === 403 ? "You are not allowed to do this."
      : status === 404 ? "This ticket is no longer visible to you."
      : "Something went wrong on the server; reload the page and try again.";
    const region = document.getElementById("action-error");
    if (region) {
      region.textContent = message;
      region.hidden = false;
    } else {
      window.alert(message);
    }
  });
  document.body.addEventListener("htmx:sendError", () => {
    const region = document.getElementById("action-error");
    if (region) {
      region.textContent = "No connection: your change was not sent.";
      region.hidden = false;
    }
  });
  // A quick action done in a row closes the row's menu (not the menu's own loading).
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.target.classList && event.target.classList.contains("row-menu")) return;
    const menu = event.target.closest && event.target.closest("details.row-actions");
    if (menu) menu.open = false;
  });
  // A canned reply chosen on a ticket goes into the comment box at the cursor, to edit before sending.
  document.body.addEventListener("change", (event) => {
    const select = event.target;
    if (!select.matches || !select.matches("select[data-canned-target]") || !select.value) return;
    const option = select.selectedOptions[0];
    const box = document.querySelector(select.dataset.cannedTarget);
    if (box && option) {
      const text = option.dataset.body || "";
      const start = box.selectionStart ?? box.value.length;
      const end = box.selectionEnd ?? box.value.length;
      box.value = box.value.slice(0, start) + text + box.value.slice(end);
      box.focus();
      box.setSelectionRange(start + text.length, start + text.length);
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }
    select.value = "";
  });
});
