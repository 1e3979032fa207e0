/* Loaded on every page: two accessibility repairs of what the page's libraries render, found by the
   axe-core audit (tests/site/test_site_browser.py).
   1. The theme's search button is labelled "Search" while it shows "Search... Ctrl+K": a speech-input
      user saying what they see does not reach it (WCAG 2.5.3, label in name). Its label becomes its text.
   2. The ipywidgets slider's handle (noUiSlider) is a focusable slider with no name: it gets the name
      of the widget's description ("frequency", "eta"), or "slider". Widgets render after load, so new
      handles are named as they appear. */
(function () {
  "use strict";
  function repair(root) {
    root.querySelectorAll(".search-button__button[aria-label]").forEach(function (button) {
      var text = button.innerText.replace(/\s+/g, " ").trim();
      if (text) {
        button.setAttribute("aria-label", text);
      }
    });
    root.querySelectorAll(".noUi-handle:not([aria-label])").forEach(function (handle) {
      var widget = handle.closest(".widget-slider, .jupyter-widgets");
      var label = widget && widget.querySelector(".widget-label");
      var name = label && label.textContent.trim();
      handle.setAttribute("aria-label", name || "slider");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    repair(document);
    new MutationObserver(function () {
      repair(document);
    }).observe(document.body, { childList: true, subtree: true });
  });
})();
