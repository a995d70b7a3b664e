/** The rolling restart's parts (`@lumina/bench/rolling`): the mixed load and the restarts, shared by the report (rolling-restart.ts) and e2e's shorter test. */
export * from './mixed-load';
export * from './restarts';
