/* A municipality's partners on a world map: a line to each partner taking the short way round
   (Japan to the Americas crosses the Pacific). The map is centred on the home authority; country
   shapes (world-atlas, Natural Earth) are moved by ±360° so that none is cut at the antimeridian
   as seen from home (Russia, Fiji). No tiles: works offline. */
(function () {
  "use strict";
  var el = document.getElementById("world-map");
  var dataNode = document.getElementById("world-map-data");
  if (!el || !dataNode || !window.L || !window.topojson) return;
  var data = JSON.parse(dataNode.textContent);
  var home = data.home;
  var centre = home.lng === null || home.lng === undefined ? 0 : home.lng;
  var COLOURS = { active: "#1f8a5b", new: "#0b5cad", dormant: "#e0902b", never: "#e0902b" };

  function near(lng) {  // the copy of `lng` within 180° of the centre
    while (lng - centre > 180) lng -= 360;
    while (lng - centre < -180) lng += 360;
    return lng;
  }
  function shiftRing(ring, by) { return ring.map(function (p) { return [p[0] + by, p[1]]; }); }
  function shiftPolygon(polygon) {
    var sum = 0, n = 0;
    polygon[0].forEach(function (p) { sum += p[0]; n += 1; });
    var by = near(sum / n) - sum / n;
    return by ? polygon.map(function (ring) { return shiftRing(ring, by); }) : polygon;
  }
  function recentre(feature) {
    var g = feature.geometry;
    if (!g) return feature;
    if (g.type === "Polygon") g = { type: "Polygon", coordinates: shiftPolygon(g.coordinates) };
    else if (g.type === "MultiPolygon") g = { type: "MultiPolygon", coordinates: g.coordinates.map(shiftPolygon) };
    return { type: "Feature", properties: feature.properties, geometry: g };
  }
  function greatCircle(a, b, steps) {  // points along the great circle from a to b, longitudes unwrapped
    var rad = Math.PI / 180, out = [];
    var lat1 = a[0] * rad, lng1 = a[1] * rad, lat2 = b[0] * rad, lng2 = b[1] * rad;
    var d = 2 * Math.asin(Math.sqrt(Math.pow(Math.sin((lat1 - lat2) / 2), 2) + Math.cos(lat1) * Math.cos(lat2) * Math.pow(Math.sin((lng1 - lng2) / 2), 2)));
    if (!d) return [a, b];
    var previous = a[1];
    for (var i = 0; i <= steps; i++) {
      var f = i / steps, A = Math.sin((1 - f) * d) / Math.sin(d), B = Math.sin(f * d) / Math.sin(d);
      var x = A * Math.cos(lat1) * Math.cos(lng1) + B * Math.cos(lat2) * Math.cos(lng2);
      var y = A * Math.cos(lat1) * Math.sin(lng1) + B * Math.cos(lat2) * Math.sin(lng2);
      var z = A * Math.sin(lat1) + B * Math.sin(lat2);
      var lat = Math.atan2(z, Math.sqrt(x * x + y * y)) / rad, lng = Math.atan2(y, x) / rad;
      while (lng - previous > 180) lng -= 360;
      while (lng - previous < -180) lng += 360;
      previous = lng;
      out.push([lat, lng]);
    }
    return out;
  }

  var map = L.map(el, { worldCopyJump: false, minZoom: 1, maxZoom: 8, zoomSnap: 0.5 });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Natural Earth");
  map.setView([home.lat || 20, centre], 2);
  fetch(el.dataset.world).then(function (r) { return r.json(); }).then(function (world) {
    var countries = topojson.feature(world, world.objects.countries).features.map(recentre);
    L.geoJSON({ type: "FeatureCollection", features: countries }, {
      style: { color: "#ffffff", weight: 0.5, fillColor: "#c8d3dc", fillOpacity: 1 }, interactive: false
    }).addTo(map);
    var bounds = [];
    var drawn = 0;
    if (home.lat !== null && home.lat !== undefined) {
      var start = [home.lat, centre];
      bounds.push(start);
      data.partners.forEach(function (partner) {
        var end = [partner.lat, near(partner.lng)];
        var colour = COLOURS[partner.vitality] || "#5a6473";
        L.polyline(greatCircle(start, end, 32), { color: colour, weight: 1.6, opacity: 0.85, interactive: false }).addTo(map);
        var marker = L.circleMarker(end, { radius: 5, color: "#ffffff", weight: 1, fillColor: colour, fillOpacity: 1 }).addTo(map);
        marker.bindTooltip(partner.name);
        marker.on("click", function () { window.location = partner.url; });
        bounds.push(end);
        drawn += 1;
      });
      L.circleMarker(start, { radius: 7, color: "#ffffff", weight: 2, fillColor: "#c0392b", fillOpacity: 1 }).bindTooltip(home.name).addTo(map);
    }
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 6 });
    el.dataset.linesDrawn = String(drawn);
    el.dataset.partnerLngs = data.partners.map(function (p) { return near(p.lng).toFixed(2); }).join(",");
  }).catch(function (error) { el.dataset.error = String(error); });
})();
