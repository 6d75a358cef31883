import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Uei } from '@vantage/common';
import type { LifecycleState } from '../db/entities.ts';
import { applyTrigger, TransitionError, wireStatus, type MonitorState, type Trigger } from './monitor-state.ts';

const s = (lifecycle: LifecycleState, paused = false): MonitorState => ({ lifecycle, paused });

const allowed: [string, MonitorState, Trigger, MonitorState, string[]][] = [
  ['approval registers a pending monitor', s('PENDING'), 'approve', s('REGISTERED'), []],
  ['denial is for good', s('PENDING'), 'deny', s('DENIED'), []],
  ['starting a registered monitor', s('REGISTERED'), 'start', s('STARTED'), [Uei.locationMonitorStarted]],
  ['restarting a stopped monitor', s('STOPPED'), 'start', s('STARTED'), [Uei.locationMonitorStarted]],
  ['starting after a disconnection reconnects first', s('DISCONNECTED'), 'start', s('STARTED'), [Uei.locationMonitorReconnected, Uei.locationMonitorStarted]],
  ['a paused monitor starts and stays paused', s('STOPPED', true), 'start', s('STARTED', true), [Uei.locationMonitorStarted]],
  ['a check-in changes nothing for a started monitor', s('STARTED'), 'checkIn', s('STARTED'), []],
  ['a check-in reconnects a disconnected monitor', s('DISCONNECTED'), 'checkIn', s('STARTED'), [Uei.locationMonitorReconnected]],
  ['a paused monitor reconnects paused', s('DISCONNECTED', true), 'checkIn', s('STARTED', true), [Uei.locationMonitorReconnected]],
  ['clean shutdown', s('STARTED'), 'stop', s('STOPPED'), [Uei.locationMonitorStopped]],
  ['missed check-ins disconnect', s('STARTED'), 'missedCheckIns', s('DISCONNECTED'), [Uei.locationMonitorDisconnected]],
  ['a paused monitor can disconnect', s('STARTED', true), 'missedCheckIns', s('DISCONNECTED', true), [Uei.locationMonitorDisconnected]],
  ['pause', s('STARTED'), 'pause', s('STARTED', true), [Uei.locationMonitorPaused]],
  ['pausing twice emits once', s('STARTED', true), 'pause', s('STARTED', true), []],
  ['resume starts polling again', s('STARTED', true), 'resume', s('STARTED'), [Uei.locationMonitorStarted]],
  ['resuming a running monitor changes nothing', s('STARTED'), 'resume', s('STARTED'), []],
  ['delete', s('STARTED', true), 'delete', s('DELETED'), []],
  ['a pending monitor can be deleted', s('PENDING'), 'delete', s('DELETED'), []],
  ['revoking the secret of a started monitor', s('STARTED', true), 'revoke', s('REVOKED'), [Uei.monitorCredentialsRevoked]],
  ['revoking the secret of a disconnected monitor', s('DISCONNECTED'), 'revoke', s('REVOKED'), [Uei.monitorCredentialsRevoked]],
  ['a revoked monitor can be deleted', s('REVOKED'), 'delete', s('DELETED'), []],
];

for (const [name, from, trigger, to, events] of allowed) {
  void test(`state machine: ${name}`, () => {
    const transition = applyTrigger(from, trigger);
    assert.deepEqual(transition.state, to);
    assert.deepEqual(transition.events, events);
  });
}

const refused: [MonitorState, Trigger][] = [
  [s('REGISTERED'), 'approve'],
  [s('STARTED'), 'deny'],
  [s('PENDING'), 'start'],
  [s('DENIED'), 'start'],
  [s('DELETED'), 'start'],
  [s('PENDING'), 'pause'],
  [s('DENIED'), 'resume'],
  [s('STOPPED'), 'missedCheckIns'],
  [s('DISCONNECTED'), 'missedCheckIns'],
  [s('PENDING'), 'checkIn'],
  [s('DELETED'), 'delete'],
  [s('DENIED'), 'delete'],
  [s('PENDING'), 'revoke'],
  [s('DENIED'), 'revoke'],
  [s('REVOKED'), 'revoke'],
  [s('REVOKED'), 'start'],
  [s('REVOKED'), 'checkIn'],
  [s('REVOKED'), 'resume'],
  [s('DELETED'), 'revoke'],
];

for (const [from, trigger] of refused) {
  void test(`state machine refuses ${trigger} from ${wireStatus(from)}`, () => {
    assert.throws(() => applyTrigger(from, trigger), TransitionError);
  });
}

void test('the wire status shows a pause over a running lifecycle, not over a disconnection', () => {
  assert.equal(wireStatus(s('STARTED', true)), 'PAUSED');
  assert.equal(wireStatus(s('STOPPED', true)), 'PAUSED');
  assert.equal(wireStatus(s('DISCONNECTED', true)), 'DISCONNECTED');
  assert.equal(wireStatus(s('STARTED')), 'STARTED');
});

void test('a refused transition is worded for an administrator', () => {
  assert.throws(() => applyTrigger(s('STARTED'), 'approve'), { message: 'cannot approve a monitor that is STARTED' });
  assert.throws(() => applyTrigger(s('DENIED'), 'delete'), {
    message: 'cannot delete a monitor that is DENIED: a denied monitor stays denied (deleted, its poller could register again)',
  });
});
