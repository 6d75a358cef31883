/**
 * Availability arithmetic on hand-made timelines. Times are in minutes (M)
 * from 0; the window is [0, 100 M) and now is its end unless a case says
 * otherwise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeAvailability, stateAt, stateOf, type AvailabilityInput, type OutageSpan } from './availability.ts';
import { holderOf } from '../packages/rendezvous.ts';
import { subtract, type Interval } from './timeline.ts';

const M = 60_000;
const span = (from: number, to: number): Interval => ({ startMs: from * M, endMs: to * M });
const outage = (monitorId: string, serviceId: string, from: number, to: number | null): OutageSpan => ({
  monitorId,
  serviceId,
  startedAt: from * M,
  endedAt: to === null ? null : to * M,
});
const spans = (intervals: Interval[]) => intervals.map((i) => [i.startMs / M, i.endMs / M]);

function input(parts: Partial<AvailabilityInput> & Pick<AvailabilityInput, 'monitors'>): AvailabilityInput {
  return { window: { fromMs: 0, toMs: 100 * M }, nowMs: 100 * M, members: ['www/HTTP'], outages: [], ...parts };
}
const always = (monitorId: string) => ({ monitorId, reporting: [span(-1000, 1000)] });

/** The figures in minutes, for compact assertions. */
function figures(i: AvailabilityInput) {
  const r = computeAvailability(i);
  return {
    availability: r.availability,
    coverage: r.coverage,
    up: r.upMs / M,
    down: r.downMs / M,
    noData: r.noDataMs / M,
    downIntervals: spans(r.downIntervals),
    noDataIntervals: spans(r.noDataIntervals),
  };
}

void test('no outage, one monitor reporting all along: 100 %, full coverage', () => {
  assert.deepEqual(figures(input({ monitors: [always('a')] })), {
    availability: 1,
    coverage: 1,
    up: 100,
    down: 0,
    noData: 0,
    downIntervals: [],
    noDataIntervals: [],
  });
});

void test('overlapping outages of one service count their overlap once', () => {
  const f = figures(input({ monitors: [always('a')], outages: [outage('a', 'www/HTTP', 10, 30), outage('a', 'www/HTTP', 20, 40), outage('a', 'www/HTTP', 35, 36)] }));
  assert.deepEqual(f.downIntervals, [[10, 40]]);
  assert.equal(f.down, 30);
  assert.equal(f.up, 70);
  assert.equal(f.availability, 0.7);
});

void test("outages crossing the window's start and end are clipped to it", () => {
  const f = figures(
    input({ nowMs: 500 * M, monitors: [always('a')], outages: [outage('a', 'www/HTTP', -20, 10), outage('a', 'www/HTTP', 90, 150), outage('a', 'www/HTTP', -50, -40), outage('a', 'www/HTTP', 100, 120)] }),
  );
  assert.deepEqual(f.downIntervals, [[0, 10], [90, 100]]);
  assert.equal(f.down, 20);
  assert.equal(f.availability, 0.8);
  assert.equal(f.coverage, 1);
});

void test('an outage across the whole window: 0 %', () => {
  const f = figures(input({ monitors: [always('a')], outages: [outage('a', 'www/HTTP', -20, null)] }));
  assert.equal(f.availability, 0);
  assert.equal(f.down, 100);
});

void test('an open outage runs to now', () => {
  const f = figures(input({ monitors: [always('a')], outages: [outage('a', 'www/HTTP', 80, null)] }));
  assert.deepEqual(f.downIntervals, [[80, 100]]);
  assert.equal(f.availability, 0.8);
  // In a past window that ends before now, it runs to the window's end.
  const past = figures(input({ window: { fromMs: 0, toMs: 90 * M }, nowMs: 1000 * M, monitors: [always('a')], outages: [outage('a', 'www/HTTP', 80, null)] }));
  assert.deepEqual(past.downIntervals, [[80, 90]]);
});

void test('two monitors at one location disagreeing: down only when every reporting monitor sees it down', () => {
  const monitors = [always('a'), always('b')];
  const oneDown = figures(input({ monitors, outages: [outage('a', 'www/HTTP', 10, 50)] }));
  assert.equal(oneDown.availability, 1, 'b still reaches the service, so the location does');
  assert.equal(oneDown.down, 0);

  const bothDown = figures(input({ monitors, outages: [outage('a', 'www/HTTP', 10, 50), outage('b', 'www/HTTP', 10, 50)] }));
  assert.deepEqual(bothDown.downIntervals, [[10, 50]]);
  assert.equal(bothDown.availability, 0.6);

  const overlapping = figures(input({ monitors, outages: [outage('a', 'www/HTTP', 10, 50), outage('b', 'www/HTTP', 30, 70)] }));
  assert.deepEqual(overlapping.downIntervals, [[30, 50]], 'down only where both see it down');
  assert.equal(overlapping.down, 20);
  assert.equal(overlapping.availability, 0.8);
});

void test('a monitor that is not reporting has no say: the other one decides', () => {
  // b is paused until 40: from 10 to 40 only a reports, and it sees the service down.
  const f = figures(input({ monitors: [always('a'), { monitorId: 'b', reporting: [span(40, 100)] }], outages: [outage('a', 'www/HTTP', 10, 50)] }));
  assert.deepEqual(f.downIntervals, [[10, 40]]);
  assert.equal(f.coverage, 1);
  // An outage of a monitor while it is not reporting says nothing either.
  const g = figures(input({ monitors: [always('a'), { monitorId: 'b', reporting: [span(40, 100)] }], outages: [outage('b', 'www/HTTP', 0, 60)] }));
  assert.equal(g.down, 0, 'a saw it up throughout');
});

void test('no-data periods are left out of the share and shown as coverage, never counted as up', () => {
  // Paused from 40 to 60 (or disconnected: the same for the arithmetic).
  const monitors = [{ monitorId: 'a', reporting: [span(0, 40), span(60, 100)] }];
  const clean = figures(input({ monitors }));
  assert.deepEqual(clean, { availability: 1, coverage: 0.8, up: 80, down: 0, noData: 20, downIntervals: [], noDataIntervals: [[40, 60]] });

  const f = figures(input({ monitors, outages: [outage('a', 'www/HTTP', 30, 70)] }));
  assert.deepEqual(f.downIntervals, [[30, 40], [60, 70]], 'the no-data gap is not downtime either');
  assert.equal(f.up, 60);
  assert.equal(f.down, 20);
  assert.equal(f.noData, 20);
  assert.equal(f.availability, 60 / 80);
  assert.equal(f.coverage, 0.8);

  // Reporting only during the first half: 100 % of the covered half, never 100 % of the window.
  const half = figures(input({ monitors: [{ monitorId: 'a', reporting: [span(-10, 50)] }] }));
  assert.equal(half.up, 50);
  assert.equal(half.noData, 50);
  assert.equal(half.coverage, 0.5);
});

void test('two monitors: no data only when neither reports', () => {
  const f = figures(input({ monitors: [{ monitorId: 'a', reporting: [span(0, 30)] }, { monitorId: 'b', reporting: [span(20, 60), span(80, 90)] }] }));
  assert.deepEqual(f.noDataIntervals, [[60, 80], [90, 100]]);
  assert.equal(f.coverage, 0.7);
});

void test('an application with several services is down when any of them is (the union of their downtime)', () => {
  const members = ['www/HTTP', 'db/TCP'];
  const f = figures(
    input({
      members,
      monitors: [always('a')],
      outages: [outage('a', 'www/HTTP', 10, 20), outage('a', 'db/TCP', 15, 30), outage('a', 'db/TCP', 60, 65), outage('a', 'other/TCP', 0, 100)],
    }),
  );
  assert.deepEqual(f.downIntervals, [[10, 30], [60, 65]], 'a service outside the application does not count');
  assert.equal(f.down, 25);
  assert.equal(f.availability, 0.75);
});

void test('several services and two monitors: each service is judged on its own', () => {
  const members = ['www/HTTP', 'db/TCP'];
  const monitors = [always('a'), always('b')];
  // a sees only www down, b only db: each service is still reached by one monitor, so the location is up.
  const crossed = input({ members, monitors, outages: [outage('a', 'www/HTTP', 10, 50), outage('b', 'db/TCP', 10, 50)] });
  assert.equal(figures(crossed).down, 0);
  assert.equal(stateAt(crossed, 20 * M), 'partial');
  // Both see db down from 30 to 40: that is down.
  const both = input({ members, monitors, outages: [outage('a', 'www/HTTP', 10, 50), outage('b', 'db/TCP', 10, 50), outage('a', 'db/TCP', 30, 40)] });
  assert.deepEqual(figures(both).downIntervals, [[30, 40]]);
  assert.equal(stateAt(both, 35 * M), 'down');
});

void test('no coverage at all: availability null, not 0 nor 100 %', () => {
  for (const monitors of [[], [{ monitorId: 'a', reporting: [] }], [{ monitorId: 'a', reporting: [span(-50, 0), span(100, 150)] }]]) {
    assert.deepEqual(figures(input({ monitors, outages: [outage('a', 'www/HTTP', 10, 20)] })), {
      availability: null,
      coverage: 0,
      up: 0,
      down: 0,
      noData: 100,
      downIntervals: [],
      noDataIntervals: [[0, 100]],
    });
  }
});

void test('a window reaching past now is measured up to now; the future is neither up nor no data', () => {
  const r = computeAvailability(input({ window: { fromMs: 0, toMs: 200 * M }, nowMs: 100 * M, monitors: [always('a')], outages: [outage('a', 'www/HTTP', 80, null)] }));
  assert.equal(r.measuredToMs, 100 * M);
  assert.equal(r.coverage, 1);
  assert.equal(r.noDataMs, 0);
  assert.equal(r.downMs, 20 * M);
  assert.equal(r.availability, 0.8);

  const future = computeAvailability(input({ window: { fromMs: 150 * M, toMs: 200 * M }, nowMs: 100 * M, monitors: [always('a')] }));
  assert.deepEqual(
    { availability: future.availability, coverage: future.coverage, up: future.upMs, noData: future.noDataMs, from: future.measuredFromMs, to: future.measuredToMs },
    { availability: null, coverage: 0, up: 0, noData: 0, from: 150 * M, to: 150 * M },
  );
});

void test('outages of monitors of other locations (not listed) are ignored', () => {
  assert.equal(figures(input({ monitors: [always('a')], outages: [outage('elsewhere', 'www/HTTP', 0, 100)] })).availability, 1);
});

void test('stateOf: no data, down, partial, up', () => {
  const members = ['www/HTTP', 'db/TCP'];
  const m = (monitorId: string, reporting: boolean, ...downServices: string[]) => ({ monitorId, reporting, downServices });
  const cases: [string, ReturnType<typeof m>[], string][] = [
    ['no monitor', [], 'no data'],
    ['none reporting, even with outages', [m('a', false, 'www/HTTP')], 'no data'],
    ['one reporting, nothing down', [m('a', true), m('b', false, 'www/HTTP')], 'up'],
    ['the only reporting monitor sees one service down', [m('a', true, 'db/TCP')], 'down'],
    ['both see the same service down', [m('a', true, 'www/HTTP'), m('b', true, 'www/HTTP', 'db/TCP')], 'down'],
    ['one of two sees it down', [m('a', true, 'www/HTTP'), m('b', true)], 'partial'],
    ['each sees a different service down', [m('a', true, 'www/HTTP'), m('b', true, 'db/TCP')], 'partial'],
    ['a service outside the application', [m('a', true, 'other/TCP')], 'up'],
  ];
  for (const [name, monitors, expected] of cases) assert.equal(stateOf(members, monitors), expected, name);
});

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

void test('random timelines agree with an instant-by-instant evaluation of the definitions', () => {
  const next = random(42);
  const int = (n: number) => Math.floor(next() * n);
  const members = ['s1', 's2'];
  for (let round = 0; round < 300; round++) {
    const fromMs = int(20);
    const toMs = fromMs + 1 + int(60);
    const nowMs = int(90);
    const monitorIds = ['a', 'b', 'c'].slice(0, 1 + int(3));
    const monitors = monitorIds.map((monitorId) => ({
      monitorId,
      reporting: Array.from({ length: int(4) }, () => {
        const start = int(90) - 5;
        return { startMs: start, endMs: start + int(30) };
      }),
    }));
    const outages = Array.from({ length: int(6) }, () => {
      const startedAt = int(90) - 5;
      return {
        monitorId: monitorIds[int(monitorIds.length)]!,
        serviceId: ['s1', 's2', 's3'][int(3)]!,
        startedAt,
        endedAt: next() < 0.2 ? null : startedAt + int(40),
      };
    });
    const i: AvailabilityInput = { window: { fromMs, toMs }, nowMs, members, monitors, outages };
    const r = computeAvailability(i);
    let up = 0;
    let down = 0;
    let noData = 0;
    for (let t = fromMs; t < Math.min(toMs, nowMs); t++) {
      const state = stateAt(i, t);
      if (state === 'no data') noData++;
      else if (state === 'down') down++;
      else up++;
    }
    const context = JSON.stringify(i);
    assert.equal(r.upMs, up, `up: ${context}`);
    assert.equal(r.downMs, down, `down: ${context}`);
    assert.equal(r.noDataMs, noData, `no data: ${context}`);
    assert.equal(r.availability, up + down > 0 ? up / (up + down) : null, context);
  }
});

// ---- a location in distribute mode: one view of each service, its holder's ----

/** Two monitors, and which of them holds www/HTTP when both are members (rendezvous, as the packages are split). */
const [HOLDER, OTHER] = ((): [string, string] => {
  const holder = holderOf('www/HTTP', ['d1', 'd2'])!;
  return [holder, holder === 'd1' ? 'd2' : 'd1'];
})();

void test('distribute: the service is down where its holder sees it down; the other monitor, which does not poll it, is not asked', () => {
  // The holder sees it down [10, 20); the other has a stale outage of it [30, 40) (from before it moved, say).
  const outages = [outage(HOLDER, 'www/HTTP', 10, 20), outage(OTHER, 'www/HTTP', 30, 40)];
  const distributed = figures(input({ monitors: [always(HOLDER), always(OTHER)], outages, distributed: true }));
  assert.deepEqual([distributed.down, distributed.downIntervals], [10, [[10, 20]]]);
  // In replicate mode the same outages mean: each time, the other monitor still reached it.
  assert.equal(figures(input({ monitors: [always(HOLDER), always(OTHER)], outages })).down, 0);
});

void test('distribute: when the holder leaves, the service goes to the other member, whose view counts from then on', () => {
  const monitors = [
    // The holder is a member until 50 (then stopped); it reports until 45 (the silence before it was declared disconnected, say).
    { monitorId: HOLDER, reporting: [span(0, 45)], member: [span(0, 50)] },
    always(OTHER),
  ];
  const outages = [
    outage(HOLDER, 'www/HTTP', 40, 60), // seen down from 40; silent from 45; holds nothing from 50
    outage(OTHER, 'www/HTTP', 20, 30), // before 50 the other does not hold it: ignored
    outage(OTHER, 'www/HTTP', 60, 70), // from 50 it does
  ];
  const r = figures(input({ monitors, outages, distributed: true }));
  assert.deepEqual(r.downIntervals, [
    [40, 45],
    [60, 70],
  ]);
  assert.equal(r.coverage, 1, 'the other monitor reported all along');
  assert.equal(stateAt({ nowMs: 100 * M, members: ['www/HTTP'], monitors, outages, distributed: true }, 25 * M), 'up');
  assert.equal(stateAt({ nowMs: 100 * M, members: ['www/HTTP'], monitors, outages, distributed: true }, 65 * M), 'down');
});

void test('stateOf, distribute: the holder decides; never partial', () => {
  const members = ['www/HTTP'];
  const m = (monitorId: string, reporting: boolean, ...downServices: string[]) => ({ monitorId, reporting, member: reporting, downServices });
  const cases: [string, ReturnType<typeof m>[], string][] = [
    ['the holder sees it down', [m(HOLDER, true, 'www/HTTP'), m(OTHER, true)], 'down'],
    ['only the other sees it down', [m(HOLDER, true), m(OTHER, true, 'www/HTTP')], 'up'],
    ['the holder is gone: the other holds it and sees it down', [m(HOLDER, false), m(OTHER, true, 'www/HTTP')], 'down'],
    ['nobody reporting', [m(HOLDER, false, 'www/HTTP')], 'no data'],
  ];
  for (const [name, monitors, expected] of cases) assert.equal(stateOf(members, monitors, true), expected, name);
  // A member that is not reporting (its connectivity lost) still holds its services: not seen down, not handed over.
  assert.equal(stateOf(members, [{ monitorId: HOLDER, reporting: false, member: true, downServices: ['www/HTTP'] }, m(OTHER, true, 'www/HTTP')], true), 'up');
});

void test('distribute: random timelines agree with an instant-by-instant evaluation of the definitions', () => {
  const next = random(7);
  const int = (n: number) => Math.floor(next() * n);
  const members = ['s1', 's2', 's3'];
  for (let round = 0; round < 300; round++) {
    const fromMs = int(20);
    const toMs = fromMs + 1 + int(60);
    const nowMs = int(90);
    const monitorIds = ['a', 'b', 'c'].slice(0, 1 + int(3));
    const monitors = monitorIds.map((monitorId) => {
      const member = Array.from({ length: int(4) }, () => {
        const start = int(90) - 5;
        return { startMs: start, endMs: start + int(30) };
      });
      // Reporting only while a member, with gaps (connectivity lost, silence before a disconnection).
      const gaps = Array.from({ length: int(3) }, () => {
        const start = int(90);
        return { startMs: start, endMs: start + int(10) };
      });
      return { monitorId, member, reporting: subtract(member, gaps) };
    });
    const outages = Array.from({ length: int(8) }, () => {
      const startedAt = int(90) - 5;
      return { monitorId: monitorIds[int(monitorIds.length)]!, serviceId: ['s1', 's2', 's3', 's4'][int(4)]!, startedAt, endedAt: next() < 0.2 ? null : startedAt + int(40) };
    });
    const i: AvailabilityInput = { window: { fromMs, toMs }, nowMs, members, monitors, outages, distributed: true };
    const r = computeAvailability(i);
    const counted = { up: 0, down: 0, noData: 0 };
    for (let t = fromMs; t < Math.min(toMs, nowMs); t++) {
      const state = stateAt(i, t);
      assert.notEqual(state, 'partial', 'a distributed location is one view');
      if (state === 'no data') counted.noData++;
      else if (state === 'down') counted.down++;
      else counted.up++;
    }
    const context = JSON.stringify(i);
    assert.deepEqual({ up: r.upMs, down: r.downMs, noData: r.noDataMs }, counted, context);
  }
});
