/**
 * Failures answer without internals: a bug is a fixed sentence (its stack
 * goes to the log), a client's mistake its message, no route a plain 404, an
 * undecodable path a bad request target. Tried on a fastify server with the
 * backend's error answers and a route that throws, and on a real backend
 * with names that exist on every JavaScript object.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createLogger } from '@vantage/runtime';
import Fastify, { type FastifyInstance } from 'fastify';
import { startTestBackend, type TestBackend } from '../../testing/test-backend.ts';
import { rawHttp } from '../../testing/raw-http.ts';
import { frameworkErrorAnswer, INTERNAL_ERROR, NOT_FOUND, registerErrorAnswers } from './error-answers.ts';

const logged: string[] = [];
let app: FastifyInstance;
let port: number;
let t: TestBackend;

before(async () => {
  const log = createLogger('http', 'debug', (line) => logged.push(line));
  app = Fastify({ frameworkErrors: frameworkErrorAnswer(log) });
  registerErrorAnswers(app, log);
  app.get('/bug', async () => {
    throw new Error('the database password is hunter2, and this is a bug');
  });
  app.post('/echo', async (request) => request.body);
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
  t = await startTestBackend();
});
after(async () => {
  await app.close();
  await t.close();
});

const stackLike = /\bat .*:\d+:\d+|\.ts\b|node_modules|hunter2/;

void test('a bug answers a fixed sentence; the stack goes to the log only', async () => {
  const response = await rawHttp(port, { method: 'GET', target: '/bug' });
  assert.equal(response.status, 500);
  assert.deepEqual(JSON.parse(response.body), INTERNAL_ERROR);
  assert.doesNotMatch(response.body, stackLike);
  assert.ok(
    logged.some((line) => line.includes('GET "/bug" failed') && line.includes('hunter2') && /error-answers\.test\.ts/.test(line)),
    logged.join('\n'),
  );
});

void test("a client's mistake answers its message, without a stack", async () => {
  const response = await rawHttp(port, { method: 'POST', target: '/echo', headers: { 'content-type': 'application/json' }, body: '{"not json' });
  assert.equal(response.status, 400);
  assert.match((JSON.parse(response.body) as { error: string }).error, /JSON/);
  assert.doesNotMatch(response.body, stackLike);
});

void test('no route is a plain 404; an undecodable path is a bad request target', async () => {
  const missing = await rawHttp(port, { method: 'GET', target: '/nowhere' });
  assert.equal(missing.status, 404);
  assert.deepEqual(JSON.parse(missing.body), NOT_FOUND);
  const undecodable = await rawHttp(port, { method: 'GET', target: '/bug/%E0%A4%A' });
  assert.equal(undecodable.status, 400);
  assert.deepEqual(JSON.parse(undecodable.body), { error: 'bad request target: the path is not valid percent-encoding' });
  assert.doesNotMatch(undecodable.body, /%E0/, 'the path is not echoed');
});

void test("names every JavaScript object has are not files of the web UI", async () => {
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
    const response = await rawHttp(t.backend.port, { method: 'GET', target: `/vendor/${name}` });
    assert.equal(response.status, 404, name);
    assert.deepEqual(JSON.parse(response.body), NOT_FOUND, name);
  }
});
