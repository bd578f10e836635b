/* Search as you type: suggestions from /<lang>/search/suggest/ (same folding as the search page),
   a combobox operable by keyboard (arrows, Enter, Escape).

   RegistrySuggest(box, input, options) attaches it to any text input inside `box` (whose
   data-suggest-url names the suggestions' address): `options.choose(result)` is called when the
   reader picks one (default: open its page), `options.typed()` on every keystroke, and the
   suggestions' ids start with `options.idPrefix`. The site's search box and the workspace's partner
   picker (partner-picker.js) both use it. */
(function () {
  "use strict";
  function RegistrySuggest(box, input, options) {
    options = options || {};
    var list = box.querySelector(".suggestions");
    var url = box.dataset.suggestUrl;
    var prefix = options.idPrefix || "suggestion-";
    var choose = options.choose || function (result) { window.location = result.url; };
    var timer = null, active = -1, lastQuery = options.initialQuery || "", controller = null, results = [];

    function close() {
      list.innerHTML = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      var items = list.querySelectorAll("li");
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0 && items[index]) input.setAttribute("aria-activedescendant", items[index].id);
    }
    function pick(index) {
      var result = results[index];
      if (!result) return;
      lastQuery = result.name;
      close();
      choose(result);
    }
    function show(found) {
      close();
      results = found;
      found.forEach(function (result, i) {
        var li = document.createElement("li");
        li.id = prefix + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        if (result.id !== undefined) li.dataset.id = result.id;
        var a = document.createElement("a");
        a.href = result.url || "#";
        a.tabIndex = -1;
        a.textContent = result.name;
        var hint = [result.other, result.parent, result.country_name || result.country].filter(Boolean).join(" · ");
        if (hint) {
          var span = document.createElement("span");
          span.className = "hint";
          span.textContent = " " + hint;
          a.appendChild(span);
        }
        a.addEventListener("click", function (event) { event.preventDefault(); pick(i); });
        li.appendChild(a);
        list.appendChild(li);
      });
      input.setAttribute("aria-expanded", found.length ? "true" : "false");
    }
    function fetchSuggestions() {
      var q = input.value.trim();
      if (q === lastQuery) return;
      lastQuery = q;
      if (!q) { close(); return; }
      if (controller) controller.abort();
      controller = new AbortController();
      fetch(url + "?q=" + encodeURIComponent(q), { signal: controller.signal, headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (data.q === input.value.trim()) show(data.results); })
        .catch(function () {});
    }
    input.addEventListener("input", function () {
      if (options.typed) options.typed();
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (event) {
      var items = list.querySelectorAll("li");
      if (event.key === "ArrowDown" && items.length) { event.preventDefault(); highlight((active + 1) % items.length); }
      else if (event.key === "ArrowUp" && items.length) { event.preventDefault(); highlight((active - 1 + items.length) % items.length); }
      else if (event.key === "Enter" && active >= 0 && items[active]) { event.preventDefault(); pick(active); }
      else if (event.key === "Escape") { close(); }
    });
    document.addEventListener("click", function (event) { if (!box.contains(event.target)) close(); });
  }
  window.RegistrySuggest = RegistrySuggest;
  document.querySelectorAll(".search[data-suggest-url]").forEach(function (box) {
    RegistrySuggest(box, box.querySelector("input[type=search]"));
  });
})();
