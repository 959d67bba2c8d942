// Deferred: runs after parsing, so it is not a critical asset.
document.addEventListener("DOMContentLoaded", function () {
  document.body.dataset.ready = "true";
});
