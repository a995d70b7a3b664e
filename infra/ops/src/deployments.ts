/** What the tool knows of Lumina's Deployments: their names and the service each belongs to. */

export const DEFAULT_NAMESPACE = 'lumina';

/** Deployment → the service whose JetStream consumers (`<service>--…`) it runs. */
export const DEPLOYMENTS: Readonly<Record<string, string | null>> = {
  auth: 'auth',
  posts: 'posts',
  media: 'media',
  'media-worker': 'media',
  search: 'search',
  timeline: 'timeline',
  client: null,
  'lumina-autoscaler': null,
};

export function isKnownDeployment(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(DEPLOYMENTS, name);
}
