/* The map of Japan: every municipality coloured by its standing (no partner / all in name only /
   live), prefecture borders on top, click → the authority's page. No tiles: the shapes are the
   registry's own files (fixtures/geo), so the map works offline. */
(function () {
  "use strict";
  var el = document.getElementById("japan-map");
  if (!el || !window.L || !window.topojson) return;
  // "gaps" mode: only the authorities without a partner stand out.
  var COLOURS = el.dataset.mode === "gaps" ? ["#b3261e", "#dde2e8", "#dde2e8"] : ["#c9ced6", "#e0902b", "#1f8a5b"];
  var NAMES = ["none", "name_only", "live"];
  // SVG, not canvas: Leaflet's canvas renderer drew nothing visible at phone width (mobile).
  var map = L.map(el, { preferCanvas: false, zoomSnap: 0.25, minZoom: 4, maxZoom: 11, attributionControl: true });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("「国土数値情報（行政区域データ）」（国土交通省）を加工して作成");
  map.fitBounds([[30.5, 128.5], [45.6, 146]]);
  function json(url) { return fetch(url).then(function (r) { if (!r.ok) throw new Error(url); return r.json(); }); }
  Promise.all([json(el.dataset.shapes), json(el.dataset.prefectures), json(el.dataset.standing)]).then(function (loaded) {
    var shapes = loaded[0], prefectures = loaded[1], standing = loaded[2];
    var objectName = Object.keys(shapes.objects)[0];
    var features = topojson.feature(shapes, shapes.objects[objectName]).features;
    var drawn = 0;
    L.geoJSON({ type: "FeatureCollection", features: features }, {
      style: function (feature) {
        var entry = standing.codes[feature.properties.N03_007];
        return { fillColor: entry ? COLOURS[entry[0]] : "#ffffff", fillOpacity: entry ? 0.9 : 0.4, color: "#ffffff", weight: 0.4 };
      },
      onEachFeature: function (feature, shape) {
        var p = feature.properties;
        var entry = standing.codes[p.N03_007];
        var name = [p.N03_001, p.N03_003, p.N03_004].filter(Boolean).join(" ");
        var label = entry ? el.getAttribute("data-label-" + NAMES[entry[0]]) : el.dataset.noAuthority;
        shape.bindTooltip(name + " — " + label, { sticky: true });
        if (entry && feature.geometry) {
          drawn += 1;
          shape.on("click", function () { window.location = standing.url.replace("/0/", "/" + entry[1] + "/"); });
        }
      }
    }).addTo(map);
    // Small islands whose shapes the simplified boundaries lost (null geometry): drawn as points.
    features.forEach(function (feature) {
      var entry = standing.codes[feature.properties.N03_007];
      if (feature.geometry || !entry || entry[2] === null) return;
      var p = feature.properties;
      var dot = L.circleMarker([entry[2], entry[3]], { radius: 4, color: "#36424f", weight: 0.8, fillColor: COLOURS[entry[0]], fillOpacity: 1 }).addTo(map);
      dot.bindTooltip([p.N03_001, p.N03_003, p.N03_004].filter(Boolean).join(" ") + " — " + el.getAttribute("data-label-" + NAMES[entry[0]]), { sticky: true });
      dot.on("click", function () { window.location = standing.url.replace("/0/", "/" + entry[1] + "/"); });
      drawn += 1;
    });
    var borders = topojson.mesh(prefectures, prefectures.objects[Object.keys(prefectures.objects)[0]]);
    L.geoJSON(borders, { style: { color: "#36424f", weight: 0.9, fill: false }, interactive: false }).addTo(map);
    Object.keys(standing.counts).forEach(function (key) {
      var slot = document.querySelector('[data-legend-count="' + key + '"]');
      if (slot) slot.textContent = "(" + standing.counts[key] + ")";
    });
    if (window.performance && performance.mark) performance.mark("registry:map-drawn");
    el.dataset.shapesDrawn = String(drawn);
    el.dataset.shapesTotal = String(features.length);
    el.dispatchEvent(new CustomEvent("registry:map-drawn"));
  }).catch(function (error) {
    el.dataset.error = String(error);
  });
})();
