/** Password hashing with argon2id. */
import { randomBytes } from 'node:crypto';
import * as argon2 from 'argon2';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /**
   * The same work as verify, against a hash that belongs to no account; always false. Sign-in
   * calls it for an unknown email so that answer takes as long as a wrong password.
   */
  verifyNothing(password: string): Promise<false>;
  /** True when a stored hash was made with other parameters than today's (upgrade it at sign-in). */
  needsRehash(hash: string): boolean;
}

export interface Argon2Options {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const DEFAULT_ARGON2: Argon2Options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export class Argon2PasswordHasher implements PasswordHasher {
  private dummyHash?: Promise<string>;

  constructor(private readonly options: Argon2Options = DEFAULT_ARGON2) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.options });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false; // a malformed stored hash never signs anyone in
    }
  }

  async verifyNothing(password: string): Promise<false> {
    await this.verify(await this.dummy(), password);
    return false;
  }

  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.options);
  }

  /** Computes the dummy hash ahead of the first sign-in, so that one is not slower either. */
  async warmUp(): Promise<void> {
    await this.dummy();
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.hash(randomBytes(32).toString('base64url'));
    return this.dummyHash;
  }
}
