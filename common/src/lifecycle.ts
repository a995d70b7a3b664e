/** Process-wide: set once shutdown begins, so /readyz fails and traffic moves elsewhere. */
export const lifecycle = { shuttingDown: false };
