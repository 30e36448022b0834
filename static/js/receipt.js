// The receipt's "Copy" and "Print" buttons: a progressive enhancement. Without JavaScript the
// buttons stay hidden and the tracking number and fingerprint can be selected and copied by hand.
(function () {
  "use strict";
  var status = document.querySelector(".copy-status");
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        if (status) {
          status.textContent = "";
          status.textContent = button.dataset.copied + ": " + button.dataset.copy;
        }
        button.classList.add("copied");
      });
    });
  });
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
