export * from './context';
export * from './servers';
export * from './wait';
export * from './drained';
export * from './versions';
export * from './hostile-cursors';
export * from './api-docs';
