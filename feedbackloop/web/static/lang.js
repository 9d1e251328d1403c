// The page's language for messages the product writes as "中文 / English" (errors, history reasons, delivery
// results): one reader, as lib/humanize.localize_message on the server. Loaded on every page (_document.html).
(function () {
  "use strict";
  window.FeedbackLoop = window.FeedbackLoop || {};
  window.FeedbackLoop.pickLanguage = function (text) {
    var s = String(text == null ? "" : text);
    var at = s.indexOf(" / ");
    if (at < 0) return s;
    var en = s.slice(at + 3);
    return document.documentElement.lang === "en" ? en.charAt(0).toUpperCase() + en.slice(1) : s.slice(0, at);
  };
})();
