export * from './vocabulary';
export * from './series';
export * from './inventory';
export type * from './api';
