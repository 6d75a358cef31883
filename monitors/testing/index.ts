/** Test helpers other workspaces may use (`@vantage/monitors/testing`): certificates made in process, real servers on loopback. */
export * from './certificates.ts';
export * from './servers.ts';
