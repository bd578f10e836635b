/* The workspace's partner picker: suggestions as you type from the public search (/<lang>/search/suggest/,
   the same folding), a combobox operable by keyboard; picking one keeps its id in the hidden `partner`. */
(function () {
  "use strict";
  document.querySelectorAll(".partner-picker[data-suggest-url]").forEach(function (box) {
    var input = box.querySelector("input[role=combobox]");
    var list = box.querySelector(".suggestions");
    var picked = box.querySelector(".picked");
    var hidden = box.closest("form").querySelector("input[name=partner]");
    var url = box.dataset.suggestUrl;
    var timer = null, active = -1, lastQuery = input.value.trim(), controller = null, results = [];

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
    function choose(index) {
      var result = results[index];
      if (!result) return;
      hidden.value = result.id;
      input.value = result.name;
      lastQuery = result.name;
      picked.textContent = (picked.dataset.label || "✓") + " " + [result.name, result.other, result.parent, result.country].filter(Boolean).join(" · ");
      close();
    }
    function show(found) {
      close();
      results = found;
      found.forEach(function (result, i) {
        var li = document.createElement("li");
        li.id = "partner-suggestion-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.id = result.id;
        var a = document.createElement("a");
        a.href = "#";
        a.tabIndex = -1;
        a.textContent = result.name;
        var hint = [result.other, result.parent, result.country].filter(Boolean).join(" · ");
        if (hint) {
          var span = document.createElement("span");
          span.className = "hint";
          span.textContent = " " + hint;
          a.appendChild(span);
        }
        a.addEventListener("click", function (event) { event.preventDefault(); choose(i); });
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
      hidden.value = "";
      picked.textContent = "";
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (event) {
      var items = list.querySelectorAll("li");
      if (event.key === "ArrowDown" && items.length) { event.preventDefault(); highlight((active + 1) % items.length); }
      else if (event.key === "ArrowUp" && items.length) { event.preventDefault(); highlight((active - 1 + items.length) % items.length); }
      else if (event.key === "Enter" && active >= 0 && items[active]) { event.preventDefault(); choose(active); }
      else if (event.key === "Escape") { close(); }
    });
    document.addEventListener("click", function (event) { if (!box.contains(event.target)) close(); });
  });
})();
