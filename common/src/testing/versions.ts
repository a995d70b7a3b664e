/** The server releases Lumina pins; infra/k8s and scripts/install-tools.sh use the same. */
export const PINNED_NATS_VERSION = '2.15.2';
export const PINNED_FERRETDB_VERSION = '1.24.2';
