/* Byline "Stay connected" widget loader. Plain JS, no framework: it reserves
   each box's final size at once (no layout shift), then, when a box nears the
   viewport, streams the Go WebAssembly module that renders and runs the form.
   Where the page's CSP forbids WebAssembly it falls back to an iframe served
   by the gateway; if anything else fails, the page's own no-JS form shows. */
(function () {
  "use strict";
  var perf = window.performance, mark = function (n) { try { perf.mark(n); } catch (e) {} };
  mark("byline:start");
  var script = document.currentScript;
  var gw = new URL(script ? script.src : "/", location.href).origin;
  var WASM = gw + "/widget/v1/__WASM__", EXEC = gw + "/widget/v1/__WASM_EXEC__";
  var H = 300;
  var boxes = [].slice.call(document.querySelectorAll("[data-byline-widget]")).filter(function (el) {
    return !el.__byline && el.attachShadow;
  });
  if (!boxes.length) return;
  var sheet = null;
  try {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(":host{display:block;box-sizing:border-box;overflow:hidden}" +
      ".ph{height:100%;box-sizing:border-box;padding:16px 18px;background:#f6f4ef;border-top:4px solid #b4232a;" +
      "font:15px/1.45 system-ui,sans-serif;color:#555}iframe{display:block;width:100%;height:100%;border:0}");
  } catch (e) { sheet = null; }
  boxes.forEach(function (el) {
    el.__byline = 1;
    /* The box keeps the size it has (the page's own form, or what its CSS
       reserved), so nothing on the page moves; data-height chooses one. */
    var h = parseInt(el.getAttribute("data-height"), 10) || el.offsetHeight;
    if (!(h >= 160)) h = H;
    el.style.height = h + "px"; /* CSSOM, not a style attribute: CSP-safe */
    var root = el.attachShadow({ mode: "open" });
    if (sheet) root.adoptedStyleSheets = [sheet];
    var ph = document.createElement("div");
    ph.className = "ph";
    ph.setAttribute("aria-busy", "true");
    ph.textContent = "\u2026";
    root.appendChild(ph);
  });
  mark("byline:reserved");

  function opts(el) {
    return { partner: el.getAttribute("data-partner") || "demo", host: el, gateway: gw,
      page: el.getAttribute("data-page") || location.href,
      locale: el.getAttribute("data-locale") || (navigator.languages || [navigator.language]).join(",") };
  }
  /* Something failed: give the box back to the page's own (no-JS) form. */
  function giveBack(el) {
    var root = el.shadowRoot;
    while (root.firstChild) root.removeChild(root.firstChild);
    root.appendChild(document.createElement("slot"));
    el.style.height = "auto";
  }
  window.__bylineFail = giveBack;
  function frame(el) {
    var o = opts(el), f = document.createElement("iframe");
    f.title = "Newsletter sign-up";
    f.src = gw + "/widget/frame?partner=" + encodeURIComponent(o.partner) + "&locale=" + encodeURIComponent(o.locale) +
      "&page=" + encodeURIComponent(o.page);
    f.addEventListener("error", function () { giveBack(el); });
    var root = el.shadowRoot;
    while (root.firstChild) root.removeChild(root.firstChild);
    root.appendChild(f);
  }
  function wasmAllowed() {
    try { new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); return true; } catch (e) { return false; }
  }
  var started = false;
  function start() {
    if (started) return;
    started = true;
    if (!window.WebAssembly || !wasmAllowed()) { boxes.forEach(frame); return; }
    var s = document.createElement("script");
    s.src = EXEC;
    s.onerror = function () { boxes.forEach(giveBack); };
    s.onload = function () {
      var go = new Go();
      var src = fetch(WASM, { credentials: "omit" });
      var inst = WebAssembly.instantiateStreaming ? WebAssembly.instantiateStreaming(src, go.importObject)
        : src.then(function (r) { return r.arrayBuffer(); }).then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
      inst.then(function (r) {
        window.__bylineReady = function () {
          boxes.forEach(function (el) { window.bylineMount(el.shadowRoot, opts(el)); });
        };
        /* Go's start-up is one long task: run it after the page has painted. */
        setTimeout(function () { mark("byline:go"); go.run(r.instance); mark("byline:go-done"); }, 0);
      }).catch(function () { boxes.forEach(frame); });
    };
    document.head.appendChild(s);
  }
  if ("IntersectionObserver" in window) {
    var io = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { io.disconnect(); start(); }
    }, { rootMargin: "300px" });
    boxes.forEach(function (el) { io.observe(el); });
  } else {
    start();
  }
})();
