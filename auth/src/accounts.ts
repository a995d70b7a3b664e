/**
 * Accounts and sessions: sign-up, sign-in, refresh-token rotation and sign-out. Input arrives
 * here already checked (routes parse it); this is where the rules about credentials live.
 */
import { ConflictError, NotAuthorizedError, type SigningKey } from '@lumina/common';
import type { Pool } from 'mysql2/promise';
import { recordUserCreated } from './events/publishing';
import { newId } from './ids';
import type { PasswordHasher } from './passwords';
import { accessTokenFor, hashRefreshToken, newRefreshToken, REFRESH_TOKEN_PATTERN } from './session-tokens';
import { duplicateKeyName, inTransaction, type Tx } from './store/db';
import type { RefreshTokensStore } from './store/refresh-tokens-store';
import type { UsersStore } from './store/users-store';
import { normalizeEmail, type User } from './users';

/** What a client holds after signing in: both tokens, and who it is. */
export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
  refreshExpiresAt: Date;
}

export interface SignUpInput {
  email: string;
  username: string;
  password: string;
  displayName?: string;
}

export interface AccountsDeps {
  pool: Pool;
  users: UsersStore;
  refreshTokens: RefreshTokensStore;
  hasher: PasswordHasher;
  signingKey: SigningKey;
  refreshTtlMs: number;
  /** Wakes the outbox relay after a commit that wrote events. */
  afterCommit: () => void;
  log?: { warn(obj: object, msg: string): void };
}

/** One message for an unknown email and a wrong password, so neither tells which it was. */
export const BAD_CREDENTIALS = 'Invalid email or password';
export const SESSION_EXPIRED = 'Session expired, please sign in again';

export class Accounts {
  constructor(private readonly deps: AccountsDeps) {}

  async signUp(input: SignUpInput): Promise<Session> {
    const { users, hasher } = this.deps;
    const emailNormalized = normalizeEmail(input.email);
    // Cheap check first so a taken name costs no hashing; the unique keys settle races below.
    this.refuseTaken(await users.taken(input.username, emailNormalized));

    const passwordHash = await hasher.hash(input.password);
    const now = new Date();
    const user: User = {
      id: newId(now.getTime()),
      username: input.username,
      email: input.email,
      displayName: input.displayName ?? input.username,
      bio: '',
      avatar: null,
      version: 1,
      followerCount: 0,
      followingCount: 0,
      createdAt: now,
    };
    try {
      const session = await inTransaction(this.deps.pool, async (tx) => {
        await users.insert(tx, { ...user, emailNormalized, passwordHash });
        await recordUserCreated(tx, user);
        return this.startSession(tx, user, now);
      });
      this.deps.afterCommit();
      return session;
    } catch (err) {
      const key = duplicateKeyName(err);
      if (key !== 'uq_users_email' && key !== 'uq_users_username') throw err;
      // Lost a race. MySQL names whichever key it checked first; answer in the same order as above.
      this.refuseTaken(await users.taken(input.username, emailNormalized));
      throw new ConflictError('This username is taken', 'username');
    }
  }

  /**
   * The username is checked first: usernames are public anyway (every profile is at its name), so
   * "taken" tells nothing new. Only a free username is then checked against the email, so a
   * sign-up that fails on its username answers the same whether the email is registered or not.
   * With a free username a registered email must still be refused (409): without a confirmation
   * mail, a sign-up cannot hide that an address already has an account, so the per-address and
   * per-email sign-up limits are what keep that lookup slow.
   */
  private refuseTaken(taken: { username: boolean; email: boolean }): void {
    if (taken.username) throw new ConflictError('This username is taken', 'username');
    if (taken.email) throw new ConflictError('This email is already registered', 'email');
  }

  async signIn(email: string, password: string): Promise<Session> {
    const { users, hasher } = this.deps;
    const account = await users.findCredentialsByEmail(normalizeEmail(email));
    if (!account) {
      await hasher.verifyNothing(password);
      throw new NotAuthorizedError(BAD_CREDENTIALS);
    }
    if (!(await hasher.verify(account.passwordHash, password))) throw new NotAuthorizedError(BAD_CREDENTIALS);
    if (hasher.needsRehash(account.passwordHash)) {
      // The cost parameters went up since this hash was made: upgrade it while we know the password.
      const upgraded = await hasher.hash(password);
      await users
        .updatePasswordHash(account.user.id, upgraded)
        .catch((err: unknown) => this.deps.log?.warn({ err }, 'could not upgrade a password hash'));
    }
    const now = new Date();
    return inTransaction(this.deps.pool, (tx) => this.startSession(tx, account.user, now));
  }

  /**
   * Spends a refresh token and issues the next pair. A spent token presented again revokes its
   * whole family (the legitimate holder and a thief cannot both keep going) and answers 401.
   */
  async refresh(presented: string | undefined): Promise<Session> {
    if (!presented || !REFRESH_TOKEN_PATTERN.test(presented)) throw new NotAuthorizedError(SESSION_EXPIRED);
    const now = new Date();
    const hash = hashRefreshToken(presented);
    const result = await inTransaction(this.deps.pool, async (tx) => {
      const outcome = await this.deps.refreshTokens.spend(tx, hash, now);
      if (outcome.kind !== 'rotated') return { outcome };
      const user = await this.deps.users.findById(outcome.userId, tx);
      if (!user) return { outcome: { kind: 'unknown' as const } };
      return { outcome, session: await this.issueInFamily(tx, user, outcome.familyId, now) };
    });
    if (result.outcome.kind === 'reused') {
      this.deps.log?.warn({ family: result.outcome.familyId }, 'refresh token reused; family revoked');
    }
    if (!('session' in result) || !result.session) throw new NotAuthorizedError(SESSION_EXPIRED);
    return result.session;
  }

  /** Revokes the family of the presented refresh token, if it names one. */
  async signOut(presented: string | undefined): Promise<void> {
    if (!presented || !REFRESH_TOKEN_PATTERN.test(presented)) return;
    const familyId = await this.deps.refreshTokens.familyOf(hashRefreshToken(presented));
    if (!familyId) return;
    await inTransaction(this.deps.pool, (tx) => this.deps.refreshTokens.revokeFamily(tx, familyId, 'signout', new Date()));
  }

  currentUser(id: string): Promise<User | undefined> {
    return this.deps.users.findById(id);
  }

  private async startSession(tx: Tx, user: User, now: Date): Promise<Session> {
    const familyId = newId(now.getTime());
    await this.deps.refreshTokens.startFamily(tx, familyId, user.id);
    return this.issueInFamily(tx, user, familyId, now);
  }

  private async issueInFamily(tx: Tx, user: User, familyId: string, now: Date): Promise<Session> {
    const refreshToken = newRefreshToken();
    const refreshExpiresAt = new Date(now.getTime() + this.deps.refreshTtlMs);
    await this.deps.refreshTokens.insertToken(tx, {
      hash: hashRefreshToken(refreshToken),
      familyId,
      userId: user.id,
      expiresAt: refreshExpiresAt,
    });
    return { user, accessToken: accessTokenFor(this.deps.signingKey, user), refreshToken, refreshExpiresAt };
  }
}
