/**
 * The world's land as GeoJSON for the locations map, made from Natural
 * Earth's 1:110m land in world-atlas with topojson-client (both the web
 * UI's packages), once, with coordinates rounded to 0.1° (what a map a few
 * hundred pixels wide can show). Nothing comes from a tile server: the map
 * works offline.
 */
import { readFile } from 'node:fs/promises';

/** What is used of topojson-client (a CommonJS package without types of its own). */
interface TopojsonClient {
  feature(topology: unknown, object: unknown): unknown;
}

/** `requireFromWebui`: a require that resolves the web UI's packages. */
export async function worldLandGeoJson(requireFromWebui: NodeJS.Require): Promise<string> {
  const topology = JSON.parse(await readFile(requireFromWebui.resolve('world-atlas/land-110m.json'), 'utf8')) as { objects: { land: unknown } };
  const { feature } = requireFromWebui('topojson-client') as TopojsonClient;
  const land = feature(topology, topology.objects.land);
  return JSON.stringify(land, (_key, value: unknown) => (typeof value === 'number' ? Math.round(value * 10) / 10 : value));
}
