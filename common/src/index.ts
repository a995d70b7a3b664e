// Events
export * from './events/catalogue';
export * from './events/envelope';
export * from './events/bus';
export * from './events/publisher';
export * from './events/listener';
export * from './events/dead-letter';
export * from './events/permissions';
export * from './events/stream-limits';
// Outboxes
export * from './outbox/relay';
export * from './outbox/mysql-outbox';
export * from './outbox/mongo-outbox';
// Stores
export * from './store/apply-if-newer';
export * from './store/keyed-lock';
export * from './store/mysql';
export * from './store/mongo';
export * from './store/redis';
export * from './store/mongo-rate-limit-store';
export * from './store/redis-rate-limit-store';
// HTTP
export * from './http/errors';
export * from './http/error-handler';
export * from './http/parse-input';
export * from './http/tokens';
export * from './http/current-user';
export * from './http/rate-limit';
export * from './http/app';
export * from './http/cache-control';
export * from './http/same-origin';
export * from './http/api-docs';
export * from './http/response-check';
// Service
export * from './config';
export * from './dependency-error';
export * from './lifecycle';
export * from './logger';
export * from './metrics';
export * from './pagination';
export * from './service';
export * from './service-stores';
