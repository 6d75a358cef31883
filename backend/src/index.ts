export * from './server.ts';
export * from './local-poller.ts';
export * from './config/parse-polling-config.ts';
export * from './config/load-config.ts';
export * from './config/config-error.ts';
export * from './config/polling-config.ts';
export * from './db/database.ts';
