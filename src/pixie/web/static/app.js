// Pixie's own script, for what htmx does not do. The page's CSP allows no inline script and no
// eval, so every handler is bound here (htmx's hx-on attributes would not run).
(function () {
  "use strict";
  var meta = function (name) {
    var found = document.querySelector('meta[name="' + name + '"]');
    return found ? found.getAttribute("content") : null;
  };

  // Every htmx request carries the page's CSRF token (forms carry it as a field too).
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = meta("csrf-token");
  });

  // A refused action says why, next to nothing else moving.
  var toastTimer = null;
  function toast(text) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 6000);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = xhr && xhr.responseText && xhr.responseText.length < 300 ? xhr.responseText : "";
    toast(text || "That did not work. Try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("Pixie cannot be reached. Check your connection.");
  });

  // Blurhash placeholders: the image's colours, painted until the image itself has loaded.
  var decoder = null;
  function blurhashDecoder() {
    if (!decoder) {
      var url = meta("pixie-blurhash");
      decoder = url ? import(url).then(function (m) { return m.decode; }) : Promise.reject();
    }
    return decoder;
  }
  function paint(root) {
    var images = (root.querySelectorAll ? root : document).querySelectorAll("img[data-blurhash]");
    images.forEach(function (img) {
      if (img.complete && img.naturalWidth) return;
      var hash = img.getAttribute("data-blurhash");
      img.removeAttribute("data-blurhash");
      blurhashDecoder().then(function (decode) {
        if (img.complete && img.naturalWidth) return;
        var canvas = document.createElement("canvas");
        canvas.width = 32;
        canvas.height = 32;
        var context = canvas.getContext("2d");
        var pixels = context.createImageData(32, 32);
        pixels.data.set(decode(hash, 32, 32));
        context.putImageData(pixels, 0, 0);
        img.style.backgroundImage = "url(" + canvas.toDataURL() + ")";
        img.classList.add("placeheld");
        img.addEventListener("load", function () { img.classList.remove("placeheld"); img.style.backgroundImage = ""; }, { once: true });
      }).catch(function () {});
    });
  }

  // Create: the alt text follows the prompt until the person writes their own.
  function linkAltToPrompt(root) {
    var alt = (root.querySelector ? root : document).querySelector("textarea[data-follows]");
    if (!alt) return;
    var source = document.getElementById(alt.getAttribute("data-follows"));
    if (!source) return;
    alt.addEventListener("input", function () { alt.removeAttribute("data-follows"); }, { once: true });
  }

  function ready(root) {
    paint(root);
    linkAltToPrompt(root);
  }
  document.addEventListener("DOMContentLoaded", function () { ready(document); });
  document.addEventListener("htmx:afterSwap", function (event) { ready(event.target); });
})();
