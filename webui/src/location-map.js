/**
 * The locations on a world map, each a dot in the colour of its state with
 * its name and state in words, placed by the coordinates in the polling
 * configuration. The land is Natural Earth's (world-atlas), served by the
 * backend as GeoJSON and drawn here as SVG in a plain equirectangular
 * projection: no tile server, no internet needed.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { STATES, stateClass } from './components.js';
import { href } from './router.js';

const WIDTH = 1000;
/** Latitudes shown: Antarctica and the far north are left out, they hold no office. */
const NORTH = 84;
const SOUTH = -58;
const HEIGHT = Math.round((WIDTH * (NORTH - SOUTH)) / 360);
const x = (/** @type {number} */ lon) => ((lon + 180) / 360) * WIDTH;
const y = (/** @type {number} */ lat) => ((NORTH - lat) / (NORTH - SOUTH)) * HEIGHT;

/** @typedef {{ name: string, latitude: number, longitude: number, state: string, detail: string }} MapLocation */

/** The land as one SVG path, loaded once per page load (the browser revalidates it by its ETag). */
/** @type {Promise<string> | null} */
let landPath = null;
function loadLand() {
  landPath ??= fetch('/vendor/world-land.json', { credentials: 'same-origin' })
    .then((r) => {
      if (!r.ok) throw new Error(`the world outline answered HTTP ${r.status}`);
      return r.json();
    })
    .then((geo) => toPath(geo))
    .catch((/** @type {unknown} */ err) => {
      landPath = null;
      throw err;
    });
  return landPath;
}

/** @param {{ features: { geometry: { type: string, coordinates: number[][][] | number[][][][] } }[] }} geo */
function toPath(geo) {
  let d = '';
  const ring = (/** @type {number[][]} */ points) => {
    // Antarctica lies below the map; a step across the date line is a jump, not a line around the world.
    if (points.every(([, lat]) => (lat ?? 0) < SOUTH)) return;
    let prev = /** @type {number | null} */ (null);
    for (const [lon = 0, lat = 0] of points) {
      d += `${prev === null || Math.abs(lon - prev) > 180 ? 'M' : 'L'}${x(lon).toFixed(1)} ${y(lat).toFixed(1)}`;
      prev = lon;
    }
    d += 'Z';
  };
  for (const f of geo.features) {
    const polygons = f.geometry.type === 'Polygon' ? [/** @type {number[][][]} */ (f.geometry.coordinates)] : /** @type {number[][][][]} */ (f.geometry.coordinates);
    for (const polygon of polygons) for (const r of polygon) ring(r);
  }
  return d;
}

/** @param {{ locations: MapLocation[] }} props */
export function LocationMap({ locations }) {
  const [land, setLand] = useState(/** @type {string | null} */ (null));
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    loadLand().then(setLand, () => setFailed(true));
  }, []);
  if (locations.length === 0) return null;
  return html`<figure class="location-map" data-testid="location-map">
    <figcaption>Locations and their state now${failed ? ' (the world outline could not be loaded)' : ''}</figcaption>
    <svg viewBox=${`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label=${`Map: ${locations.map((l) => `${l.name} ${STATES[/** @type {keyof typeof STATES} */ (l.state)]?.label ?? l.state}`).join(', ')}`}>
      <rect class="sea" x="0" y="0" width=${WIDTH} height=${HEIGHT} />
      ${land ? html`<path class="land" d=${land} data-testid="map-land" />` : null}
      ${locations.map((l) => {
        const cx = x(l.longitude);
        const cy = y(Math.max(SOUTH, Math.min(NORTH, l.latitude)));
        const label = STATES[/** @type {keyof typeof STATES} */ (l.state)]?.label ?? l.state;
        const right = cx < WIDTH - 170;
        return html`<a href=${href(['services'], { location: l.name })} data-testid=${`map-location-${l.name}`} data-state=${l.state}>
          <title>${l.name}: ${label}. ${l.detail}</title>
          <circle class=${`dot ${stateClass(l.state)}`} cx=${cx} cy=${cy} r="9" />
          <text x=${right ? cx + 14 : cx - 14} y=${cy + 5} text-anchor=${right ? 'start' : 'end'} class="map-label">${l.name} · ${label}</text>
        </a>`;
      })}
    </svg>
  </figure>`;
}
