// Language switch (中文 / English / both) and print; no network access.
(function () {
  "use strict";
  var root = document.documentElement;
  var buttons = Array.prototype.slice.call(document.querySelectorAll("[data-set-lang]"));
  function store(lang) {
    try { window.localStorage.setItem("lifecircle-report-lang", lang); } catch (e) { /* storage off: keep in page */ }
  }
  function stored() {
    try { return window.localStorage.getItem("lifecircle-report-lang"); } catch (e) { return null; }
  }
  function setLang(lang) {
    if (lang !== "zh" && lang !== "en" && lang !== "both") { lang = "en"; }
    root.setAttribute("data-lang", lang);
    root.setAttribute("lang", lang === "en" ? "en" : "zh-CN");
    buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-set-lang") === lang)); });
  }
  var match = /[?&#]lang=(zh|en|both)\b/.exec(window.location.search + window.location.hash);
  var nav = (navigator.language || "").toLowerCase();
  setLang(match ? match[1] : (stored() || (nav.indexOf("zh") === 0 ? "zh" : "en")));
  buttons.forEach(function (b) {
    b.addEventListener("click", function () {
      var lang = b.getAttribute("data-set-lang");
      setLang(lang);
      store(lang);
    });
  });
  var print = document.querySelector("[data-print]");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
})();
