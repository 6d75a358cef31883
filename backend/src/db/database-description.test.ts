/**
 * How the database is described in the log and to signed-in users: where it
 * is, never a password, whether in the user part or in the query string.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describePostgresUrl } from './database.ts';

void test('a PostgreSQL URL is described without anything secret', () => {
  const cases: [string, string][] = [
    ['postgres://vantage@db:5432/vantage', 'PostgreSQL at postgres://vantage@db:5432/vantage'],
    ['postgres://vantage:s3cret@db:5432/vantage', 'PostgreSQL at postgres://vantage@db:5432/vantage'],
    ['postgres://vantage:p%40ss%2Fw:rd@db/vantage', 'PostgreSQL at postgres://vantage@db/vantage'],
    ['postgresql://db/vantage?user=vantage&password=s3cret', 'PostgreSQL at postgresql://db/vantage (query parameters not shown)'],
    ['postgres://vantage@db/vantage?sslmode=require&sslpassword=s3cret', 'PostgreSQL at postgres://vantage@db/vantage (query parameters not shown)'],
    ['postgres://:s3cret@db/vantage', 'PostgreSQL at postgres://db/vantage'],
    ['not a url s3cret', 'PostgreSQL (the URL does not parse, so it is not shown)'],
  ];
  for (const [url, description] of cases) {
    assert.equal(describePostgresUrl(url), description, url);
    assert.doesNotMatch(describePostgresUrl(url), /s3cret|p%40ss|rd@/, url);
  }
});
