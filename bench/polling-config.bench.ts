/**
 * How long a large polling configuration takes to load: a range of 10,000
 * addresses with 3 services (30,000 polled services), parsed, validated and
 * turned into the location's package and version, as a reload does.
 *
 *   node --import tsx bench/polling-config.bench.ts [addresses]
 */
import { monitors } from '@vantage/monitors';
import { computeLocationPackages } from '../backend/src/packages/location-packages.ts';
import { parsePollingConfig } from '../backend/src/config/parse-polling-config.ts';
import { largeConfigXml } from './large-config.ts';

const addresses = Number(process.argv[2] ?? 10_000);
const xml = largeConfigXml(addresses);
const rounds = 5;
const parseMs: number[] = [];
const packageMs: number[] = [];
let services = 0;
let bytes = 0;
for (let i = 0; i < rounds; i++) {
  let t0 = performance.now();
  const config = parsePollingConfig(xml, { fileName: 'bench.xml', monitors });
  parseMs.push(performance.now() - t0);
  t0 = performance.now();
  const pkg = computeLocationPackages(config).get('DC')!;
  packageMs.push(performance.now() - t0);
  services = pkg.package.services.length;
  bytes = JSON.stringify({ version: pkg.version, package: pkg.package, settings: pkg.settings }).length;
  process.stderr.write(`  round ${i + 1}/${rounds}\n`);
}
const best = (xs: number[]) => Math.min(...xs).toFixed(0);
const worst = (xs: number[]) => Math.max(...xs).toFixed(0);
console.log(`polling configuration: ${addresses} addresses × 3 services = ${services} polled services`);
console.log(`  parse + validate:        best ${best(parseMs)} ms, worst ${worst(parseMs)} ms (the first round includes warm-up)`);
console.log(`  packages and versions:   best ${best(packageMs)} ms, worst ${worst(packageMs)} ms`);
console.log(`  total, best:             ${(Math.min(...parseMs) + Math.min(...packageMs)).toFixed(0)} ms (target: well under 1000 ms)`);
console.log(`  getPollingPackage answer: ${(bytes / 1024 / 1024).toFixed(1)} MiB of JSON in one call`);
