import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applicationReason, isApplicationDown } from './application-state.ts';

void test('the application reason counts what the decision counted, in a sentence that agrees with itself', () => {
  const two = { reporting: ['LON', 'RDU'], down: ['LON', 'RDU'] };
  assert.equal(isApplicationDown(two, 2), true);
  assert.equal(applicationReason(two, 2, true), 'down from 2 of 2 reporting locations (LON, RDU); at least 2 needed');

  const alone = { reporting: ['RDU'], down: ['RDU'] };
  assert.equal(isApplicationDown(alone, 2), true);
  assert.equal(applicationReason(alone, 2, true), 'down from 1 of 1 reporting location (RDU); at least 1 needed, as only 1 location reports (threshold 2)');

  const partial = { reporting: ['FRA', 'LON', 'RDU'], down: ['LON'] };
  assert.equal(isApplicationDown(partial, 2), false);
  assert.equal(applicationReason(partial, 2, false), 'down from 1 of 3 reporting locations, fewer than the 2 needed');
  const partialAlone = { reporting: ['LON', 'RDU'], down: ['LON'] };
  assert.equal(applicationReason(partialAlone, 3, false), 'down from 1 of 2 reporting locations, fewer than the 2 needed, as only 2 locations report (threshold 3)');
});

void test('an application up again at every location says so, not "down from 0 of N"', () => {
  assert.equal(applicationReason({ reporting: ['LON', 'RDU'], down: [] }, 2, false), 'up from all 2 reporting locations');
  assert.equal(applicationReason({ reporting: ['Default'], down: [] }, 2, false), 'up from the one reporting location (Default)');
  assert.equal(applicationReason({ reporting: [], down: [] }, 2, false), 'no location reports on it now');
});
