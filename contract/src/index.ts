export * from './vocabulary';
export * from './series';
export * from './outputSeries';
export * from './inventory';
export * from './schemas';
export * from './simulation';
export * from './tickets';
export * from './tagValue';
export type * from './api';
