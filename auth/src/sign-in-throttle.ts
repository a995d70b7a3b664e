/**
 * Slows password guessing down without letting anyone lock an owner out. Failed sign-ins are
 * counted per (account, address) and per address, never per account alone: eleven wrong
 * passwords from one address must not refuse the owner's right password from another. After a
 * few free failures every further attempt under the same key waits a delay that doubles with
 * each failure, up to a maximum (429 with Retry-After): a guesser is slowed to a crawl, and the
 * owner, even behind the guesser's address, gets in once the delay has passed.
 */
import { TooManyRequestsError } from '@lumina/common';
import type { SignInFailuresStore } from './store/sign-in-failures-store';

export interface SignInThrottleSettings {
  /** Failures per (account, address) before the delay starts. */
  failuresBeforeDelayPerPair: number;
  /** Failures per address, whatever the accounts, before the delay starts. */
  failuresBeforeDelayPerAddress: number;
  /** The first delay; each further failure doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures are forgotten this long after the last one (longer than maxDelayMs). */
  memoryMs: number;
}

/** What admit() claimed, handed back once the password has been checked. */
export interface Admission {
  pairKey: string;
  addressKey: string;
}

export class SignInThrottle {
  constructor(
    private readonly store: SignInFailuresStore,
    private readonly settings: SignInThrottleSettings,
  ) {}

  /**
   * Before the password is checked (so a slowed guess costs no argon2): claims one attempt for
   * the address and for the (account, address) pair, or throws 429. A claimed attempt counts as a
   * failure until succeeded() or released() gives it back.
   */
  async admit(emailNormalized: string, address: string): Promise<Admission> {
    const admission = { pairKey: `signin-pair:${emailNormalized}|${address}`, addressKey: `signin-address:${address}` };
    const byAddress = await this.store.claim(admission.addressKey, this.counting(this.settings.failuresBeforeDelayPerAddress));
    if (!byAddress.allowed) throw new TooManyRequestsError(byAddress.retryAfterMs / 1000);
    const byPair = await this.store.claim(admission.pairKey, this.counting(this.settings.failuresBeforeDelayPerPair));
    if (!byPair.allowed) {
      await this.store.refund(admission.addressKey);
      throw new TooManyRequestsError(byPair.retryAfterMs / 1000);
    }
    return admission;
  }

  /** The right password: this address's failures on this account end; the address gets its attempt back. */
  async succeeded(admission: Admission): Promise<void> {
    await this.store.forget(admission.pairKey);
    await this.store.refund(admission.addressKey);
  }

  /** The attempt ended without a verdict on the password (the database failed): not a failure. */
  async released(admission: Admission): Promise<void> {
    await this.store.refund(admission.pairKey);
    await this.store.refund(admission.addressKey);
  }

  private counting(failuresBeforeDelay: number) {
    const { baseDelayMs, maxDelayMs, memoryMs } = this.settings;
    return {
      memoryMs,
      delayAfter: (failures: number) =>
        failures < failuresBeforeDelay ? 0 : Math.min(baseDelayMs * 2 ** (failures - failuresBeforeDelay), maxDelayMs),
    };
  }
}
