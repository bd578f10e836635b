/* Search as you type: suggestions from /<lang>/search/suggest/ (same folding as the search page),
   a combobox operable by keyboard (arrows, Enter, Escape). */
(function () {
  "use strict";
  document.querySelectorAll(".search[data-suggest-url]").forEach(function (box) {
    var input = box.querySelector("input[type=search]");
    var list = box.querySelector(".suggestions");
    var url = box.dataset.suggestUrl;
    var timer = null, active = -1, lastQuery = "", controller = null;

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
    function show(results) {
      close();
      results.forEach(function (result, i) {
        var li = document.createElement("li");
        li.id = "suggestion-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var a = document.createElement("a");
        a.href = result.url;
        a.tabIndex = -1;
        a.textContent = result.name;
        var hint = [result.other, result.parent, result.country].filter(Boolean).join(" · ");
        if (hint) {
          var span = document.createElement("span");
          span.className = "hint";
          span.textContent = " " + hint;
          a.appendChild(span);
        }
        li.appendChild(a);
        list.appendChild(li);
      });
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
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
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (event) {
      var items = list.querySelectorAll("li");
      if (event.key === "ArrowDown" && items.length) { event.preventDefault(); highlight((active + 1) % items.length); }
      else if (event.key === "ArrowUp" && items.length) { event.preventDefault(); highlight((active - 1 + items.length) % items.length); }
      else if (event.key === "Enter" && active >= 0 && items[active]) { event.preventDefault(); window.location = items[active].querySelector("a").href; }
      else if (event.key === "Escape") { close(); }
    });
    document.addEventListener("click", function (event) { if (!box.contains(event.target)) close(); });
  });
})();
