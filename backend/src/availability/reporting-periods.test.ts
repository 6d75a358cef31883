/** Lifecycle event sequences → reporting intervals. Times in minutes; the window is [0, 100). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Uei } from '@vantage/common';
import { RESUMED_REASON, reportingIntervals, type LifecycleEvent, type ReportingOptions } from './reporting-periods.ts';

const M = 60_000;
const WINDOW = { fromMs: 0, toMs: 100 * M };

type Step = [number, 'registered' | 'started' | 'resumed' | 'paused' | 'stopped' | 'disconnected' | 'reconnected' | 'lost' | 'restored'];
const UEIS = {
  registered: Uei.locationMonitorRegistered,
  started: Uei.locationMonitorStarted,
  resumed: Uei.locationMonitorStarted,
  paused: Uei.locationMonitorPaused,
  stopped: Uei.locationMonitorStopped,
  disconnected: Uei.locationMonitorDisconnected,
  reconnected: Uei.locationMonitorReconnected,
  lost: Uei.monitorConnectivityLost,
  restored: Uei.monitorConnectivityRestored,
};
const events = (steps: Step[]): LifecycleEvent[] =>
  steps.map(([minute, kind]): LifecycleEvent => {
    const params: Record<string, string> = kind === 'resumed' ? { monitorName: 'm', reason: RESUMED_REASON } : { monitorName: 'm' };
    return { time: minute * M, uei: UEIS[kind], params };
  });

function intervals(steps: Step[], options: ReportingOptions = {}, window = WINDOW): [number, number][] {
  return reportingIntervals(events(steps), window, options).map((i) => [i.startMs / M, i.endMs / M]);
}

void test('event sequences → reporting intervals', () => {
  const cases: [string, Step[], [number, number][]][] = [
    ['no events: never started', [], []],
    ['registered only', [[-50, 'registered']], []],
    ['started in the window', [[-50, 'registered'], [10, 'started']], [[10, 100]]],
    ['started before the window', [[-50, 'registered'], [-40, 'started']], [[0, 100]]],
    ['stopped before the window', [[-40, 'started'], [-10, 'stopped']], []],
    ['stopped and started again', [[-40, 'started'], [30, 'stopped'], [45, 'started']], [[0, 30], [45, 100]]],
    ['paused then resumed', [[-40, 'started'], [30, 'paused'], [50, 'resumed']], [[0, 30], [50, 100]]],
    [
      'disconnected, then reconnected by a check-in',
      [[-40, 'started'], [30, 'disconnected'], [50, 'reconnected']],
      [[0, 30], [50, 100]],
    ],
    [
      'disconnected, then restarted (reconnected and started at one instant)',
      [[-40, 'started'], [30, 'disconnected'], [50, 'reconnected'], [50, 'started']],
      [[0, 30], [50, 100]],
    ],
    [
      'a paused poller that restarts is started but still paused',
      [[-40, 'started'], [10, 'paused'], [20, 'stopped'], [30, 'started'], [60, 'resumed']],
      [[0, 10], [60, 100]],
    ],
    [
      'resumed while stopped: not reporting until it starts',
      [[-40, 'started'], [10, 'paused'], [20, 'stopped'], [30, 'resumed'], [70, 'started']],
      [[0, 10], [70, 100]],
    ],
    ['paused before the window, resumed in it', [[-40, 'started'], [-20, 'paused'], [25, 'resumed']], [[25, 100]]],
    ['paused, disconnected, reconnected: still paused', [[-40, 'started'], [10, 'paused'], [20, 'disconnected'], [30, 'reconnected']], [[0, 10]]],
    ['connectivity lost and restored', [[-40, 'started'], [20, 'lost'], [35, 'restored']], [[0, 20], [35, 100]]],
    ['connectivity lost before the window', [[-40, 'started'], [-30, 'lost']], []],
    ['events at or after the window end change nothing', [[100, 'started'], [120, 'stopped']], []],
    ['repeated starts', [[10, 'started'], [20, 'started'], [30, 'stopped'], [40, 'stopped']], [[10, 30]]],
  ];
  for (const [name, steps, expected] of cases) assert.deepEqual(intervals(steps), expected, name);
});

void test('events out of order are sorted by time, same-instant events keep their order', () => {
  const shuffled: Step[] = [[60, 'stopped'], [-40, 'started'], [30, 'disconnected'], [50, 'reconnected'], [50, 'started']];
  assert.deepEqual(intervals(shuffled), [[0, 30], [50, 60]]);
  // Stopped then started at one instant: reporting after; started then stopped: not.
  assert.deepEqual(intervals([[-40, 'started'], [50, 'stopped'], [50, 'started']]), [[0, 100]]);
  assert.deepEqual(intervals([[-40, 'started'], [50, 'started'], [50, 'stopped']]), [[0, 50]]);
});

void test('the state at the window start can be given instead of earlier events', () => {
  assert.deepEqual(intervals([], { initial: true }), [[0, 100]]);
  assert.deepEqual(intervals([[40, 'stopped']], { initial: true }), [[0, 40]]);
  assert.deepEqual(intervals([[40, 'started']], { initial: false }), [[40, 100]]);
  assert.deepEqual(intervals([[40, 'resumed']], { initial: { running: true, paused: true, connectivityLost: false } }), [[40, 100]]);
});

void test('connectivity lost can count as reporting', () => {
  assert.deepEqual(intervals([[-40, 'started'], [20, 'lost'], [35, 'restored']], { connectivityLostIsNoData: false }), [[0, 100]]);
});

void test('the silence before a disconnection is not reporting', () => {
  const options = { silenceBeforeDisconnectMs: 5 * M };
  assert.deepEqual(intervals([[-40, 'started'], [30, 'disconnected'], [50, 'reconnected']], options), [[0, 25], [50, 100]]);
  assert.deepEqual(intervals([[-40, 'started'], [3, 'disconnected']], options), [], 'silent since before the window');
  assert.deepEqual(intervals([[-40, 'started'], [102, 'disconnected']], options), [[0, 97]], 'a disconnection just after the window');
  assert.deepEqual(intervals([[20, 'started'], [22, 'disconnected']], options), [], 'shorter than the silence');
});

void test('a deleted monitor reports nothing after its end', () => {
  assert.deepEqual(intervals([[-40, 'started']], { endMs: 70 * M }), [[0, 70]]);
  assert.deepEqual(intervals([[-40, 'started']], { endMs: -5 * M }), []);
  assert.deepEqual(intervals([[-40, 'started']], { endMs: 150 * M }), [[0, 100]]);
});
