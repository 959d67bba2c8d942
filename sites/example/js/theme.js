// Chooses the colour scheme before the first paint, so the page never flashes.
document.documentElement.dataset.theme =
  window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
