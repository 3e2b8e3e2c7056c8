// An optional XYZ tile layer under the hotspots' map (production configuration; the map needs
// none). The map's axes are longitude and Web-Mercator latitude, so the tiles — squares in
// Web Mercator — line up with the compounds' points; both are kept in degrees.

const MAX_ZOOM = 18

/** Web-Mercator y of a latitude, in degrees (equal to the longitude's scale at the equator). */
export function mercatorY(lat) {
  const r = (lat * Math.PI) / 180
  return (Math.log(Math.tan(Math.PI / 4 + r / 2)) * 180) / Math.PI
}

/** The latitude of a Web-Mercator y in degrees. */
export function latitudeOf(y) {
  return (Math.atan(Math.sinh((y * Math.PI) / 180)) * 180) / Math.PI
}

/**
 * The map's extent around `points` ([lng, mercatorY]) with a margin, widened on one side so a
 * degree is as long across as up and down in a `width`×`height` box (tiles keep their shape).
 */
export function fitBounds(points, width, height, margin = 0.08) {
  const xs = points.map((p) => p[0])
  const ys = points.map((p) => p[1])
  let west = Math.min(...xs)
  let east = Math.max(...xs)
  let south = Math.min(...ys)
  let north = Math.max(...ys)
  const spanX = Math.max(east - west, 0.002) * (1 + 2 * margin)
  const spanY = Math.max(north - south, 0.002) * (1 + 2 * margin)
  const midX = (west + east) / 2
  const midY = (south + north) / 2
  const ratio = width / Math.max(height, 1)
  const across = Math.max(spanX, spanY * ratio)
  const up = across / ratio
  west = midX - across / 2
  east = midX + across / 2
  south = midY - up / 2
  north = midY + up / 2
  return { west, east, south, north }
}

function tileX(lng, zoom) {
  return Math.floor(((lng + 180) / 360) * 2 ** zoom)
}

function tileY(lat, zoom) {
  const r = (lat * Math.PI) / 180
  return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** zoom)
}

function tileLng(x, zoom) {
  return (x / 2 ** zoom) * 360 - 180
}

function tileLat(y, zoom) {
  return (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / 2 ** zoom))) * 180) / Math.PI
}

/**
 * The tiles covering `bounds` (west/east in degrees of longitude, south/north in Mercator y
 * degrees) at the most detailed zoom that needs at most `maxTiles`: each with its address
 * (the {z}/{x}/{y} template filled in) and its edges in the map's units.
 */
export function tilesCovering(bounds, template, maxTiles = 24) {
  const south = latitudeOf(bounds.south)
  const north = latitudeOf(bounds.north)
  let chosen = null
  for (let zoom = 1; zoom <= MAX_ZOOM; zoom++) {
    const x0 = tileX(bounds.west, zoom)
    const x1 = tileX(bounds.east, zoom)
    const y0 = tileY(north, zoom)
    const y1 = tileY(south, zoom)
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > maxTiles) break
    chosen = { zoom, x0, x1, y0, y1 }
  }
  if (!chosen) return []
  const { zoom, x0, x1, y0, y1 } = chosen
  const tiles = []
  for (let x = x0; x <= x1; x++) {
    for (let y = y0; y <= y1; y++) {
      tiles.push({
        url: template.replace('{z}', zoom).replace('{x}', x).replace('{y}', y),
        west: tileLng(x, zoom),
        east: tileLng(x + 1, zoom),
        north: mercatorY(tileLat(y, zoom)),
        south: mercatorY(tileLat(y + 1, zoom)),
      })
    }
  }
  return tiles
}
