/* World maps of links (a municipality's partners, a country's links) and points (a network's
   members). Each link takes the short way round: the map is centred on `centre` (the home side's
   longitude) and every point is moved by ±360° to lie within 180° of it, so Japan to the Americas
   crosses the Pacific. Country shapes (world-atlas, Natural Earth) are moved the same way,
   polygon by polygon, so none is cut at the antimeridian as seen from there (Russia, Fiji).
   No tiles: works offline. */
(function () {
  "use strict";
  var el = document.getElementById("world-map");
  var dataNode = document.getElementById("world-map-data");
  if (!el || !dataNode || !window.L || !window.topojson) return;
  var data = JSON.parse(dataNode.textContent);
  var centre = data.centre || 0;
  var COLOURS = { active: "#1f8a5b", new: "#0b5cad", dormant: "#e0902b", never: "#e0902b" };

  function near(lng) {
    while (lng - centre > 180) lng -= 360;
    while (lng - centre < -180) lng += 360;
    return lng;
  }
  function shiftPolygon(polygon) {
    var sum = 0;
    polygon[0].forEach(function (p) { sum += p[0]; });
    var mean = sum / polygon[0].length, by = near(mean) - mean;
    if (!by) return polygon;
    return polygon.map(function (ring) { return ring.map(function (p) { return [p[0] + by, p[1]]; }); });
  }
  function recentre(feature) {
    var g = feature.geometry;
    if (g && g.type === "Polygon") g = { type: "Polygon", coordinates: shiftPolygon(g.coordinates) };
    else if (g && g.type === "MultiPolygon") g = { type: "MultiPolygon", coordinates: g.coordinates.map(shiftPolygon) };
    return { type: "Feature", properties: feature.properties, geometry: g };
  }
  function greatCircle(a, b, steps) {  // points from a to b along the great circle, longitudes unwrapped
    var rad = Math.PI / 180, out = [];
    var lat1 = a[0] * rad, lng1 = a[1] * rad, lat2 = b[0] * rad, lng2 = b[1] * rad;
    var d = 2 * Math.asin(Math.sqrt(Math.pow(Math.sin((lat1 - lat2) / 2), 2) +
      Math.cos(lat1) * Math.cos(lat2) * Math.pow(Math.sin((lng1 - lng2) / 2), 2)));
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
  function located(p) { return p && p.lat !== null && p.lat !== undefined && p.lng !== null && p.lng !== undefined; }
  function marker(p, style) {
    var m = L.circleMarker([p.lat, near(p.lng)], style).bindTooltip(p.name);
    if (p.url) m.on("click", function () { window.location = p.url; });
    return m;
  }

  var map = L.map(el, { minZoom: 1, maxZoom: 8, zoomSnap: 0.5 });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Natural Earth");
  map.setView([25, centre], 2);
  fetch(el.dataset.world).then(function (r) { return r.json(); }).then(function (world) {
    var countries = topojson.feature(world, world.objects.countries).features.map(recentre);
    L.geoJSON({ type: "FeatureCollection", features: countries }, {
      style: { color: "#ffffff", weight: 0.5, fillColor: "#c8d3dc", fillOpacity: 1 }, interactive: false
    }).addTo(map);
    var bounds = [], lines = 0, ends = [];
    (data.links || []).forEach(function (link) {
      if (!located(link.from) || !located(link.to)) return;
      var start = [link.from.lat, near(link.from.lng)];
      // The partner's copy nearest to its own home side: the short way round.
      var lng = link.to.lng;
      while (lng - start[1] > 180) lng -= 360;
      while (lng - start[1] < -180) lng += 360;
      var end = [link.to.lat, lng];
      var colour = COLOURS[link.vitality] || "#5a6473";
      L.polyline(greatCircle(start, end, 32), { color: colour, weight: 1.5, opacity: 0.8, interactive: false }).addTo(map);
      var m = L.circleMarker(end, { radius: 5, color: "#ffffff", weight: 1, fillColor: colour, fillOpacity: 1 }).bindTooltip(link.to.name).addTo(map);
      if (link.to.url) m.on("click", function () { window.location = link.to.url; });
      L.circleMarker(start, { radius: 4, color: "#ffffff", weight: 1, fillColor: "#c0392b", fillOpacity: 1 }).bindTooltip(link.from.name).addTo(map);
      bounds.push(start, end);
      ends.push(end[1].toFixed(2));
      lines += 1;
    });
    (data.points || []).forEach(function (p) {
      if (!located(p)) return;
      marker(p, { radius: 6, color: "#ffffff", weight: 2, fillColor: "#c0392b", fillOpacity: 1 }).addTo(map);
      bounds.push([p.lat, near(p.lng)]);
    });
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 6 });
    else if (bounds.length === 1) map.setView(bounds[0], 5);
    el.dataset.linesDrawn = String(lines);
    el.dataset.lineEnds = ends.join(",");
  }).catch(function (error) { el.dataset.error = String(error); });
})();
