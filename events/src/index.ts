export * from './catalogue.ts';
export * from './event.ts';
export * from './bus.ts';
export * from './notifications/index.ts';
