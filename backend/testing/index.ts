/**
 * What tests outside the backend (e2e/, bench/) may use: a backend on
 * loopback with its test storage, signed-in fetch, requests sent exactly as
 * written (rawHttp), the stored rows to assert on, and VictoriaMetrics as an InfluxDB stand-in. Imported as
 * `@vantage/backend/testing`; nothing here is part of a production process.
 */
export * from './test-backend.ts';
export * from './test-database.ts';
export * from './victoria-metrics.ts';
export * from './series.ts';
export * from '../src/db/entities.ts';
export * from './raw-http.ts';
export * from './users.ts';
export * from './services-fixture.ts';
