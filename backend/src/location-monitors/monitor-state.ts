/**
 * The location monitor state machine (DESIGN.md, "State machines"), pure.
 *
 * A monitor's state is its lifecycle (PENDING → REGISTERED → STARTED ⇄
 * DISCONNECTED, → STOPPED, → DELETED; DENIED for good; REVOKED, its secret
 * withdrawn, until deleted) plus an
 * administrator's pause flag, kept apart because a paused monitor still
 * starts, checks in, stops and disconnects; it just polls nothing.
 */
import { Uei, type MonitorStatus, type UeiValue } from '@vantage/common';
import type { LifecycleState } from '../db/entities.ts';

export interface MonitorState {
  lifecycle: LifecycleState;
  paused: boolean;
}

export type Trigger =
  | 'approve'
  | 'deny'
  | 'start' // pollerStarting
  | 'checkIn' // pollerCheckingIn
  | 'stop' // pollerStopping
  | 'missedCheckIns' // the disconnect sweeper
  | 'pause'
  | 'resume'
  | 'revoke' // an administrator withdraws the monitor's secret
  | 'delete';

export interface Transition {
  state: MonitorState;
  events: UeiValue[];
}

/** A trigger the current state does not allow, worded for an administrator or a poller. */
export class TransitionError extends Error {
  constructor(
    readonly state: MonitorState,
    readonly trigger: Trigger,
  ) {
    const why = state.lifecycle === 'DENIED' && trigger === 'delete' ? ': a denied monitor stays denied (deleted, its poller could register again)' : '';
    super(`cannot ${describe(trigger)} a monitor that is ${wireStatus(state)}${why}`);
    this.name = 'TransitionError';
  }
}

const RUNNABLE: ReadonlySet<LifecycleState> = new Set(['REGISTERED', 'STARTED', 'STOPPED', 'DISCONNECTED']);

export function applyTrigger(state: MonitorState, trigger: Trigger): Transition {
  const { lifecycle, paused } = state;
  const to = (next: Partial<MonitorState>, ...events: UeiValue[]): Transition => ({ state: { ...state, ...next }, events });
  switch (trigger) {
    case 'approve':
      if (lifecycle === 'PENDING') return to({ lifecycle: 'REGISTERED' });
      break;
    case 'deny':
      if (lifecycle === 'PENDING') return to({ lifecycle: 'DENIED' });
      break;
    case 'start':
      if (RUNNABLE.has(lifecycle)) {
        return lifecycle === 'DISCONNECTED'
          ? to({ lifecycle: 'STARTED' }, Uei.locationMonitorReconnected, Uei.locationMonitorStarted)
          : to({ lifecycle: 'STARTED' }, Uei.locationMonitorStarted);
      }
      break;
    case 'checkIn':
      if (lifecycle === 'DISCONNECTED') return to({ lifecycle: 'STARTED' }, Uei.locationMonitorReconnected);
      // REGISTERED and STOPPED answer as they are: the poller reacts by calling pollerStarting or exiting.
      if (RUNNABLE.has(lifecycle)) return to({});
      break;
    case 'stop':
      if (RUNNABLE.has(lifecycle)) return to({ lifecycle: 'STOPPED' }, Uei.locationMonitorStopped);
      break;
    case 'missedCheckIns':
      if (lifecycle === 'STARTED') return to({ lifecycle: 'DISCONNECTED' }, Uei.locationMonitorDisconnected);
      break;
    case 'pause':
      if (RUNNABLE.has(lifecycle)) return paused ? to({}) : to({ paused: true }, Uei.locationMonitorPaused);
      break;
    case 'resume':
      // Resuming starts polling again; the catalogue has no "resumed" event, so Started marks it.
      if (RUNNABLE.has(lifecycle)) return paused ? to({ paused: false }, Uei.locationMonitorStarted) : to({});
      break;
    case 'revoke':
      if (RUNNABLE.has(lifecycle)) return to({ lifecycle: 'REVOKED', paused: false }, Uei.monitorCredentialsRevoked);
      break;
    case 'delete':
      // A denied monitor stays on the deny list: deleting it would answer its poller "register again".
      if (lifecycle !== 'DELETED' && lifecycle !== 'DENIED') return to({ lifecycle: 'DELETED', paused: false });
      break;
  }
  throw new TransitionError(state, trigger);
}

/**
 * The status the protocol reports. DENIED and REVOKED are never sent (such a
 * monitor's calls fail with -32003 and -32006) but are shown to
 * administrators as they are.
 */
export function wireStatus(state: MonitorState): MonitorStatus | 'DENIED' | 'REVOKED' {
  if (state.paused && (state.lifecycle === 'STARTED' || state.lifecycle === 'REGISTERED' || state.lifecycle === 'STOPPED')) {
    return 'PAUSED';
  }
  return state.lifecycle;
}

function describe(trigger: Trigger): string {
  switch (trigger) {
    case 'missedCheckIns':
      return 'disconnect';
    case 'checkIn':
      return 'check in';
    default:
      return trigger;
  }
}
