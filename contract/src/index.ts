export * from './vocabulary';
export * from './series';
export * from './inventory';
export * from './simulation';
export * from './schemas';
export type * from './api';
