/** @lumina/ops: the operator's tool and what the gateway and the tests share with it. */
export * from './routes';
export * from './deployments';
export * from './backlog';
export * from './autoscaler';
export * from './kube';
export * from './status';
