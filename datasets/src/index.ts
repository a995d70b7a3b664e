// @lumina/datasets: the data sets Lumina is loaded with (the socfb-Reed98 graph, generated photos
// and captions, celebrity accounts) and the loaders that put them in through the API, or straight
// into the stores where the API cannot keep up; used by the benchmark, the seed command and e2e.
export * from './api';
export * from './celebrities';
export * from './content';
export * from './dataset';
export * from './direct';
export * from './graph-loader';
export * from './post-loader';
export * from './util/pool';
export * from './util/progress';
