// GCJ-02 for the page: a port of GridProjection's ChineseOffset (Sources/GridProjection/ChineseOffset.swift), so
// the console can draw its WGS84 grids and incidents on a GCJ-02 base map (most Chinese commercial tiles). The same
// series on the Krasovsky 1940 ellipsoid, the identity outside the same rectangle, and the same iterative inverse;
// ConsoleBrowserTests checks it against the Swift values.
"use strict";

const GCJ02 = (() => {
  const A = 6378245.0;
  const EE = 0.00669342162296594323;
  const PI = Math.PI;

  function outsideChina(lon, lat) {
    return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }

  function transformLat(x, y, shared) {
    let ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    ret += shared;
    ret += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    ret += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    return ret;
  }

  function transformLon(x, y, shared) {
    let ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    ret += shared;
    ret += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    ret += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    return ret;
  }

  /// WGS84 → GCJ-02, [lon, lat] in degrees.
  function fromWGS84(lon, lat) {
    if (outsideChina(lon, lat)) return [lon, lat];
    const x = lon - 105.0, y = lat - 35.0;
    const shared = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    let dLat = transformLat(x, y, shared);
    let dLon = transformLon(x, y, shared);
    const radLat = lat / 180.0 * PI;
    const sinLat = Math.sin(radLat);
    const magic = 1 - EE * sinLat * sinLat;
    const sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * PI);
    dLon = (dLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI);
    return [lon + dLon, lat + dLat];
  }

  /// GCJ-02 → WGS84 by fixed-point iteration on `fromWGS84` (error below 1e-9 degrees), as the Swift inverse.
  function toWGS84(lon, lat) {
    if (outsideChina(lon, lat) || !Number.isFinite(lon) || !Number.isFinite(lat)) return [lon, lat];
    const first = fromWGS84(lon, lat);
    let x = 2 * lon - first[0], y = 2 * lat - first[1];
    for (let i = 0; i < 30; i++) {
      const [fx, fy] = fromWGS84(x, y);
      const dx = lon - fx, dy = lat - fy;
      x += dx;
      y += dy;
      if (Math.abs(dx) < 1e-10 && Math.abs(dy) < 1e-10) break;
    }
    return [x, y];
  }

  return { fromWGS84, toWGS84 };
})();
