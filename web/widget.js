/*! kensaku search box — embed with
 *  <script src="https://search.example.com/widget.js" data-endpoint="https://search.example.com" defer></script>
 *  and a <kensaku-search></kensaku-search> (or <div data-kensaku>) where the box goes.
 *  The locale comes from the element's `locale` attribute, else <html lang>. */
(function () {
  "use strict";
  if (window.KensakuSearch) return;

  var script = document.currentScript;
  var ENDPOINT = ((script && script.getAttribute("data-endpoint")) || "").replace(/\/+$/, "");
  var DEBOUNCE_MS = 120;
  /* A search the reader has not typed past for this long is theirs. */
  var SETTLE_MS = 1500;
  var LIMIT = 8;
  var RECENT_MAX = 8;
  var RECENT_KEY = "kensaku-recent:" + (ENDPOINT || window.location.host);
  var serial = 0;
  var localesPromise = null;

  /* The box's texts come from the server's language registry (/locales,
     `labels`); these English ones serve until it answers, or if it cannot. */
  var FALLBACK = {
    placeholder: "Search docs",
    searching: "Searching…",
    no_results: "No results for",
    unavailable: "Search is unavailable. Try again.",
    other_languages: "Results in other languages:",
    results: "results"
  };

  function el(tag, className, attrs) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (attrs) for (var k in attrs) node.setAttribute(k, attrs[k]);
    return node;
  }

  /* Rebuilds server HTML keeping only <mark>: everything else becomes text.
     DOMParser documents are inert (no scripts run, no resources load). */
  function safeHighlight(html) {
    var fragment = document.createDocumentFragment();
    var parsed = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html").body;
    (function walk(parent) {
      for (var n = parent.firstChild; n; n = n.nextSibling) {
        if (n.nodeType === 3) fragment.appendChild(document.createTextNode(n.nodeValue));
        else if (n.nodeType === 1 && n.nodeName === "MARK") {
          var mark = document.createElement("mark");
          mark.textContent = n.textContent;
          fragment.appendChild(mark);
        } else if (n.nodeType === 1) walk(n);
      }
    })(parsed);
    return fragment;
  }

  /* Only http(s) and same-origin relative links: never javascript:, data:… */
  function safeUrl(url, section) {
    try {
      var u = new URL(url, ENDPOINT || window.location.href);
      if (u.protocol !== "http:" && u.protocol !== "https:") return null;
      if (section) u.hash = section;
      return u.href;
    } catch (e) {
      return null;
    }
  }

  function fetchJson(path, signal) {
    return fetch(ENDPOINT + path, { signal: signal, headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function indexedLocales() {
    if (!localesPromise) {
      localesPromise = fetchJson("/locales").catch(function () {
        localesPromise = null;
        return [];
      });
    }
    return localesPromise;
  }

  /* The page language as an indexed locale (exact tag, else same language):
     its /locales entry, or null. */
  function resolveLocale(wanted) {
    wanted = (wanted || "").toLowerCase().replace("_", "-");
    return indexedLocales().then(function (list) {
      var primary = wanted.split("-")[0];
      var exact = null, same = null;
      for (var i = 0; i < list.length; i++) {
        if (list[i].locale === wanted) exact = list[i];
        else if (!same && list[i].locale.split("-")[0] === primary) same = list[i];
      }
      return exact || same;
    });
  }

  /* The writing systems of a query's letters (as the server's registry names them). */
  function writingsOf(text) {
    var found = {};
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if ((c >= 0x3040 && c <= 0x30FF) || (c >= 0xFF66 && c <= 0xFF9F)) found.kana = true;
      else if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF)) found.han = true;
      else if ((c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F)) found.hangul = true;
      else if (c >= 0x0400 && c <= 0x052F) found.cyrillic = true;
      else if ((c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0xC0 && c <= 0x24F)) found.latin = true;
    }
    return Object.keys(found);
  }

  /* Whether a query is written in another script than the page's language
     (Japanese on an English page): then the server's detection decides.
     Latin letters are never enough evidence (product names, English terms). */
  function foreignScript(query, pageInfo) {
    var page = (pageInfo && pageInfo.writing) || ["latin"];
    return writingsOf(query).some(function (w) { return w !== "latin" && page.indexOf(w) < 0; });
  }

  /* Recent searches, in this site's localStorage (nothing leaves the browser). */
  function recentSearches() {
    try { return JSON.parse(window.localStorage.getItem(RECENT_KEY) || "[]").filter(function (q) { return typeof q === "string"; }); }
    catch (e) { return []; }
  }

  function saveRecent(list) {
    try { window.localStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, RECENT_MAX))); } catch (e) { /* storage full or off */ }
  }

  function rememberSearch(q) {
    q = q.trim();
    if (!q) return;
    saveRecent([q].concat(recentSearches().filter(function (r) { return r !== q; })));
  }

  /* An analytics event, without delaying the page (a beacon survives navigation). */
  function beacon(event) {
    var body = JSON.stringify(event);
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(ENDPOINT + "/events", new Blob([body], { type: "text/plain" }))) return;
    } catch (e) { /* fall through */ }
    fetch(ENDPOINT + "/events", { method: "POST", body: body, headers: { "Content-Type": "text/plain" }, keepalive: true }).catch(function () {});
  }

  /* A locale's name for a chip: "日本語", else the tag. */
  function localeName(tag) {
    return indexedLocales().then(function (list) {
      for (var i = 0; i < list.length; i++) if (list[i].locale === tag && list[i].name) return list[i].name;
      return tag;
    });
  }

  function Box(host) {
    this.host = host;
    this.id = "kensaku-" + ++serial;
    this.active = -1;
    this.hits = [];
    this.composing = false;
    this.timer = null;
    this.controller = null;
    this.sequence = 0;
    this.pageLang = host.getAttribute("locale") || host.getAttribute("data-locale") || document.documentElement.lang || "en";
    this.t = FALLBACK;
    var off = function (name) { return (host.getAttribute(name) || (script && script.getAttribute(name)) || "").toLowerCase() === "off"; };
    this.recentOn = !off("data-recent");
    this.analyticsOn = !off("data-analytics");
    this.settleTimer = null;
    this.settled = {};
    this.searchId = null;
    var self = this;
    this.pageInfo = null;
    this.localePromise = resolveLocale(this.pageLang).then(function (info) {
      self.pageInfo = info;
      if (info && info.labels) self.relabel(info.labels);
      return info ? info.locale : null;
    });
    this.render();
    this.bind();
  }

  /* Switches the box to the page language's texts. */
  Box.prototype.relabel = function (labels) {
    this.t = labels;
    this.input.setAttribute("aria-label", labels.placeholder);
    this.input.setAttribute("placeholder", labels.placeholder + " (/)");
    this.list.setAttribute("aria-label", labels.placeholder);
  };

  Box.prototype.render = function () {
    var root = el("div", "kensaku");
    this.input = el("input", "kensaku-input", {
      type: "search",
      role: "combobox",
      "aria-expanded": "false",
      "aria-controls": this.id + "-list",
      "aria-autocomplete": "list",
      "aria-label": this.t.placeholder,
      placeholder: this.t.placeholder + " (/)",
      autocomplete: "off",
      autocapitalize: "off",
      spellcheck: "false",
      enterkeyhint: "search"
    });
    this.panel = el("div", "kensaku-panel");
    this.panel.hidden = true;
    this.status = el("div", "kensaku-status", { role: "status", "aria-live": "polite" });
    this.list = el("ul", "kensaku-list", { id: this.id + "-list", role: "listbox", "aria-label": this.t.placeholder });
    this.hint = el("div", "kensaku-hint");
    this.panel.appendChild(this.status);
    this.panel.appendChild(this.list);
    this.panel.appendChild(this.hint);
    root.appendChild(this.input);
    root.appendChild(this.panel);
    this.host.appendChild(root);
    this.root = root;
  };

  Box.prototype.bind = function () {
    var self = this;
    this.input.addEventListener("compositionstart", function () {
      self.composing = true;
      clearTimeout(self.timer);
    });
    this.input.addEventListener("compositionend", function () {
      self.composing = false;
      self.schedule();
    });
    this.input.addEventListener("input", function (e) {
      // Inside an IME composition the text is not what the user means yet.
      if (self.composing || e.isComposing) return;
      self.schedule();
    });
    this.input.addEventListener("keydown", function (e) {
      if (e.isComposing || self.composing || e.keyCode === 229) return;
      if (e.key === "ArrowDown") { e.preventDefault(); self.move(1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); self.move(-1); }
      else if (e.key === "Enter") { e.preventDefault(); self.open(self.active >= 0 ? self.active : 0); }
      else if (e.key === "Escape") {
        if (!self.panel.hidden) self.close();
        else { self.input.value = ""; }
      }
    });
    this.input.addEventListener("focus", function () {
      if (!self.input.value.trim()) self.showRecent();
      else if (self.hits.length || self.status.textContent) self.show();
    });
    this.list.addEventListener("click", function (e) {
      var li = e.target.closest && e.target.closest("li[role=option]");
      if (li && li.hasAttribute("data-index")) self.opened(Number(li.getAttribute("data-index")));
    });
    document.addEventListener("click", function (e) {
      if (!self.root.contains(e.target)) self.close();
    });
    this.list.addEventListener("mousemove", function (e) {
      var li = e.target.closest && e.target.closest("li[role=option]");
      if (li) self.select(Number(li.getAttribute("data-index")));
    });
  };

  Box.prototype.schedule = function () {
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.search(); }, DEBOUNCE_MS);
  };

  /* `settleNow`: the reader asked for this search (Enter): it is settled as
     soon as it is shown, not after the pause. */
  Box.prototype.search = function (settleNow) {
    var self = this;
    var q = this.input.value.trim();
    if (this.controller) this.controller.abort();
    clearTimeout(this.settleTimer);
    if (!q) {
      this.hits = [];
      this.list.textContent = "";
      this.status.textContent = "";
      this.hint.textContent = "";
      this.showRecent();
      return;
    }
    var sequence = ++this.sequence;
    this.controller = new AbortController();
    var signal = this.controller.signal;
    this.root.classList.add("kensaku-loading");
    this.status.textContent = this.t.searching;
    this.show();
    var base = "/search?as_you_type=1&limit=" + LIMIT + "&q=" + encodeURIComponent(q);
    this.localePromise
      .then(function (locale) {
        // Another script than the page language's: the server detects the
        // language, and its results are shown as they are.
        if (!locale || foreignScript(q, self.pageInfo)) {
          return fetchJson(base, signal).then(function (r) { return [r, null, !!locale]; });
        }
        return fetchJson(base + "&locale=" + encodeURIComponent(locale), signal).then(function (response) {
          if (response.hits.length) return [response, null, false];
          // Nothing in the page's language: does another language have it?
          return fetchJson(base, signal).then(
            function (other) { return [response, other.locale !== locale && other.hits.length ? other : null, false]; },
            function () { return [response, null, false]; }
          );
        });
      })
      .then(function (result) {
        if (sequence !== self.sequence) return;
        self.root.classList.remove("kensaku-loading");
        self.show_results(q, result[0], result[1], result[2]);
        if (settleNow === true) self.settle();
        else self.settleTimer = setTimeout(function () { self.settle(); }, SETTLE_MS);
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") return;
        if (sequence !== self.sequence) return;
        self.root.classList.remove("kensaku-loading");
        self.root.classList.add("kensaku-error");
        self.hits = [];
        self.list.textContent = "";
        self.hint.textContent = "";
        self.status.textContent = self.t.unavailable;
      });
  };

  /* The search shown is the reader's: remember it, tell analytics once. */
  Box.prototype.settle = function () {
    clearTimeout(this.settleTimer);
    var q = this.input.value.trim();
    if (this.recentOn && q) rememberSearch(q);
    var id = this.searchId;
    if (this.analyticsOn && id && !this.settled[id]) {
      this.settled[id] = true;
      beacon({ type: "settle", search_id: id });
    }
  };

  /* A result was opened: a click event for analytics (which settles it). */
  Box.prototype.opened = function (i) {
    var hit = this.hits[i];
    if (!hit) return;
    clearTimeout(this.settleTimer);
    var q = this.input.value.trim();
    if (this.recentOn && q) rememberSearch(q);
    var id = this.searchId;
    if (this.analyticsOn && id) {
      this.settled[id] = true;
      beacon({ type: "click", search_id: id, article: hit.id, position: i });
    }
  };

  /* The recent searches, when the box is empty and focused. */
  Box.prototype.showRecent = function () {
    var self = this;
    this.list.textContent = "";
    this.hint.textContent = "";
    this.hits = [];
    this.active = -1;
    var recent = this.recentOn ? recentSearches() : [];
    if (!recent.length) { this.status.textContent = ""; this.close(); return; }
    this.status.className = "kensaku-status kensaku-recent-title";
    this.status.textContent = this.t.recent || "Recent searches";
    recent.forEach(function (q) {
      var li = el("li", "kensaku-recent", { role: "presentation" });
      var again = el("button", "kensaku-recent-query", { type: "button" });
      again.textContent = q;
      again.addEventListener("click", function () { self.input.value = q; self.input.focus(); self.search(); });
      var remove = el("button", "kensaku-recent-remove", { type: "button", "aria-label": (self.t.remove || "Remove") + " " + q });
      remove.textContent = "×";
      remove.addEventListener("click", function (e) {
        e.stopPropagation();
        saveRecent(recentSearches().filter(function (r) { return r !== q; }));
        self.showRecent();
        self.input.focus();
      });
      li.appendChild(again);
      li.appendChild(remove);
      self.list.appendChild(li);
    });
    var clear = el("button", "kensaku-recent-clear", { type: "button" });
    clear.textContent = this.t.clear || "Clear";
    clear.addEventListener("click", function () { saveRecent([]); self.showRecent(); self.input.focus(); });
    this.hint.appendChild(clear);
    this.show();
  };

  Box.prototype.show_results = function (q, response, other, detected) {
    this.root.classList.remove("kensaku-error");
    this.hits = response.hits;
    this.searchId = response.search_id || null;
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    this.list.textContent = "";
    this.hint.textContent = "";
    var self = this;
    this.hits.forEach(function (hit, i) { self.list.appendChild(self.option(hit, i)); });
    if (this.hits.length) {
      this.status.textContent = response.total + " " + this.t.results;
      this.status.className = "kensaku-status kensaku-count";
      if (detected && response.locale) {
        // Results in the query's language, not the page's: say which.
        var language = el("span", "kensaku-language", { lang: response.locale });
        language.textContent = " · " + response.locale;
        localeName(response.locale).then(function (name) { language.textContent = " · " + name; });
        this.status.appendChild(language);
      }
    } else {
      this.status.className = "kensaku-status";
      this.status.textContent = this.t.no_results + " \u201c" + q + "\u201d";
    }
    if (other) {
      var label = el("span");
      label.textContent = this.t.other_languages + " ";
      var button = el("button", "kensaku-other", { type: "button", lang: other.locale });
      button.textContent = other.locale + " (" + other.total + ")";
      localeName(other.locale).then(function (name) { button.title = name; });
      button.addEventListener("click", function () { self.show_results(q, other, null, true); self.input.focus(); });
      this.hint.appendChild(label);
      this.hint.appendChild(button);
    }
    this.show();
  };

  Box.prototype.option = function (hit, i) {
    var li = el("li", "kensaku-option", { role: "option", id: this.id + "-opt-" + i, "aria-selected": "false", "data-index": String(i), lang: hit.locale });
    var href = safeUrl(hit.url, hit.section);
    var a = el(href ? "a" : "span", "kensaku-link");
    if (href) { a.href = href; a.tabIndex = -1; }
    var title = el("span", "kensaku-title");
    title.textContent = hit.title;
    a.appendChild(title);
    if (hit.section_title && hit.section_title !== hit.title) {
      var section = el("span", "kensaku-section");
      section.textContent = hit.section_title;
      a.appendChild(section);
    }
    var snippet = el("span", "kensaku-snippet");
    snippet.appendChild(safeHighlight(hit.snippet || ""));
    a.appendChild(snippet);
    li.appendChild(a);
    return li;
  };

  Box.prototype.select = function (i) {
    var options = this.list.querySelectorAll("li[role=option]");
    if (!options.length) return;
    if (this.active >= 0 && options[this.active]) options[this.active].setAttribute("aria-selected", "false");
    this.active = (i + options.length) % options.length;
    var current = options[this.active];
    current.setAttribute("aria-selected", "true");
    this.input.setAttribute("aria-activedescendant", current.id);
    if (current.scrollIntoView) current.scrollIntoView({ block: "nearest" });
  };

  Box.prototype.move = function (delta) {
    if (this.panel.hidden) this.show();
    this.select(this.active < 0 ? (delta > 0 ? 0 : -1) : this.active + delta);
  };

  Box.prototype.open = function (i) {
    var hit = this.hits[i];
    if (!hit) { this.search(true); return; }
    this.opened(i);
    var href = safeUrl(hit.url, hit.section);
    if (href) window.location.assign(href);
  };

  Box.prototype.show = function () {
    this.panel.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  Box.prototype.close = function () {
    this.panel.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  Box.prototype.focus = function () {
    this.input.focus();
    this.input.select();
  };

  var boxes = [];

  function mount(host) {
    if (host.kensaku) return host.kensaku;
    host.kensaku = new Box(host);
    boxes.push(host.kensaku);
    return host.kensaku;
  }

  if (window.customElements && !customElements.get("kensaku-search")) {
    customElements.define("kensaku-search", class extends HTMLElement {
      connectedCallback() { mount(this); }
    });
  }

  /* One script tag is enough: the stylesheet comes from the same server
     unless the page already links it (to override it). */
  function ensureStyles() {
    var links = document.querySelectorAll("link[rel=stylesheet]");
    for (var i = 0; i < links.length; i++) if (/\/widget\.css(\?|$)/.test(links[i].href)) return;
    var link = el("link", null, { rel: "stylesheet", href: ENDPOINT + "/widget.css" });
    document.head.appendChild(link);
  }

  function mountAll() {
    ensureStyles();
    var hosts = document.querySelectorAll("kensaku-search, [data-kensaku]");
    for (var i = 0; i < hosts.length; i++) mount(hosts[i]);
  }

  // "/" or Ctrl/Cmd+K focuses the first box, unless the user is typing elsewhere.
  document.addEventListener("keydown", function (e) {
    if (!boxes.length || e.defaultPrevented || e.isComposing) return;
    var target = e.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if ((e.key === "k" || e.key === "K") && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      boxes[0].focus();
    } else if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      boxes[0].focus();
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();

  window.KensakuSearch = { mount: mount };
})();
