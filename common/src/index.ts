export * from './errors.ts';
export * from './status.ts';
export * from './ueis.ts';
export * from './protocol.ts';
export * from './validate.ts';
export * from './credentials.ts';
export * from './network-errors.ts';
export * from './fingerprint.ts';
