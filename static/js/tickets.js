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
});
