/* The workspace's partner picker: the site's suggestions as you type (search.js, the same folding),
   picking one keeps its id in the hidden `partner` and names it beside the box. */
(function () {
  "use strict";
  document.querySelectorAll(".partner-picker[data-suggest-url]").forEach(function (box) {
    var input = box.querySelector("input[role=combobox]");
    var picked = box.querySelector(".picked");
    var hidden = box.closest("form").querySelector("input[name=partner]");
    window.RegistrySuggest(box, input, {
      idPrefix: "partner-suggestion-",
      initialQuery: input.value.trim(),
      typed: function () { hidden.value = ""; picked.textContent = ""; },
      choose: function (result) {
        hidden.value = result.id;
        input.value = result.name;
        picked.textContent = (picked.dataset.label || "✓") + " " + [result.name, result.other, result.parent, result.country_name || result.country].filter(Boolean).join(" · ");
      }
    });
  });
})();
