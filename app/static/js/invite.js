// The invitation link: a "Copy" button beside the read-only field, added only when JavaScript
// runs (without it, the field is there to select and copy by hand). Its words come from the
// field's data- attributes, already in the page's language.
(function () {
  "use strict";

  function say(status, text) {
    if (status) { status.textContent = text; }
  }

  function copyBy(input) {
    // Older browsers, or a page not served over https: select the text and copy it the old way.
    input.focus();
    input.select();
    return document.execCommand && document.execCommand("copy");
  }

  function enhance(box) {
    var input = box.querySelector("input");
    var status = document.getElementById("copy-status");
    if (!input) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = box.dataset.copyLabel;
    box.appendChild(button);
    // One click on the field selects all of it, ready to copy.
    input.addEventListener("focus", function () { input.select(); });
    button.addEventListener("click", function () {
      var done = function () { say(status, box.dataset.copied); };
      var failed = function () {
        if (copyBy(input)) { done(); } else { say(status, box.dataset.copyFailed); }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, failed);
      } else {
        failed();
      }
    });
  }

  function start() {
    document.querySelectorAll(".copy-field[data-copy-label]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
