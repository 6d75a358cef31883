import { InitialSchema1763700000000 } from './0001-initial-schema.ts';
import { ResultDetails1763800000000 } from './0002-result-details.ts';
import { AlarmsOutagesNotifications1763900000000 } from './0003-alarms-outages-notifications.ts';
import { ResponseTimeRollups1764000000000 } from './0004-response-time-rollups.ts';
import { UsersAndSessions1764100000000 } from './0005-users-and-sessions.ts';
import { InstallationAndPollerServers1764200000000 } from './0006-installation-and-poller-servers.ts';
import { RegistrationSecurity1764210000000 } from './0007-registration-security.ts';
import { InstancesAndPollerConnections1764224100000 } from './0008-instances-and-poller-connections.ts';
import { NotificationLeases1764224200000 } from './0009-notification-leases.ts';
import { JobLeadership1764224300000 } from './0010-job-leadership.ts';
import { ConfigurationInForce1764224400000 } from './0011-configuration-in-force.ts';
import { RolesAndAudit1764300000000 } from './0012-roles-and-audit.ts';
import { ServiceStateDownIndex1764310000000 } from './0013-service-state-down-index.ts';
import { MonitorDownCount1764320000000 } from './0014-monitor-down-count.ts';

/** Every migration, oldest first. Add new ones at the end; never edit a released one. */
export const MIGRATIONS = [
  InitialSchema1763700000000,
  ResultDetails1763800000000,
  AlarmsOutagesNotifications1763900000000,
  ResponseTimeRollups1764000000000,
  UsersAndSessions1764100000000,
  InstallationAndPollerServers1764200000000,
  RegistrationSecurity1764210000000,
  InstancesAndPollerConnections1764224100000,
  NotificationLeases1764224200000,
  JobLeadership1764224300000,
  ConfigurationInForce1764224400000,
  RolesAndAudit1764300000000,
  ServiceStateDownIndex1764310000000,
  MonitorDownCount1764320000000,
];
