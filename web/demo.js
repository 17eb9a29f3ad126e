/* Demo site: mark the language switcher's current entry. */
(function () {
  "use strict";
  var lang = document.documentElement.lang;
  var links = document.querySelectorAll("nav.locales a[data-locale]");
  for (var i = 0; i < links.length; i++) {
    if (links[i].getAttribute("data-locale") === lang) links[i].setAttribute("aria-current", "true");
  }
})();
