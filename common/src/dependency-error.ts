/** A server the service needs cannot be reached; start-up prints it as one clear line. */
export class DependencyError extends Error {
  constructor(
    readonly dependency: string,
    readonly where: string,
    cause?: Error,
  ) {
    super(`Cannot reach ${dependency} at ${where}${cause ? `: ${cause.message}` : ''}`);
    this.name = 'DependencyError';
  }
}
