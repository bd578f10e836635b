/* Coverage by prefecture as a map: each prefecture shaded by its coverage rate (the table beside
   it gives the same figures). Shapes from fixtures/geo, no tiles: works offline. */
(function () {
  "use strict";
  var el = document.getElementById("prefecture-map");
  var dataNode = document.getElementById("prefecture-data");
  if (!el || !dataNode || !window.L || !window.topojson) return;
  var rates = JSON.parse(dataNode.textContent);
  var STEPS = [[80, "#08519c"], [60, "#3182bd"], [40, "#6baed6"], [20, "#bdd7e7"], [0, "#eff3ff"]];
  function colour(rate) {
    if (rate === null || rate === undefined) return "#ffffff";
    for (var i = 0; i < STEPS.length; i++) if (rate >= STEPS[i][0]) return STEPS[i][1];
    return STEPS[STEPS.length - 1][1];
  }
  // SVG, not canvas: Leaflet's canvas renderer drew nothing visible at phone width (mobile).
  var map = L.map(el, { preferCanvas: false, zoomSnap: 0.25, minZoom: 4, maxZoom: 9 });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("「国土数値情報（行政区域データ）」（国土交通省）を加工して作成");
  map.fitBounds([[26, 127.5], [45.6, 146]]);
  fetch(el.dataset.prefectures).then(function (r) { return r.json(); }).then(function (topo) {
    var object = topo.objects[Object.keys(topo.objects)[0]];
    var drawn = 0;
    L.geoJSON(topojson.feature(topo, object), {
      style: function (feature) {
        var row = rates[feature.properties.N03_001];
        return { fillColor: colour(row ? row[0] : null), fillOpacity: 0.9, color: "#36424f", weight: 0.8 };
      },
      onEachFeature: function (feature, shape) {
        var row = rates[feature.properties.N03_001];
        if (row) drawn += 1;
        shape.bindTooltip(feature.properties.N03_001 + (row ? " — " + (row[0] === null ? "–" : row[0] + " %") : ""), { sticky: true });
      }
    }).addTo(map);
    el.dataset.shapesDrawn = String(drawn);
  }).catch(function (error) { el.dataset.error = String(error); });
})();
