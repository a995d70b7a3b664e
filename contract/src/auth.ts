/** auth, `/api/v1/users`: accounts, sessions, profiles and the follow graph. */
import { z } from 'zod';
import { idSchema, PageQuery } from './common-inputs';
import { BIO_MAX, DISPLAY_NAME_MAX, EMAIL_MAX, MAX_ID_LENGTH, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN } from './limits';
import { defineRoutes, json, noContent, type ServiceContract } from './route';
import { servicePrefix } from './version';
import { OwnUser, pageOf, Profile, PublicUser } from './shapes';

// ---- field rules ----------------------------------------------------------------------------

/**
 * Paths under /api/v1/users that a profile named like them would shadow (`docs` and `openapi.json`
 * are the API documentation's).
 */
export const RESERVED_USERNAMES = new Set([
  'currentuser',
  'me',
  'signup',
  'signin',
  'signout',
  'refresh',
  'admin',
  'api',
  'docs',
  'openapi.json',
]);

/** ASCII only: upper case is folded, while spaces and look-alike letters (Cyrillic "а") are refused. */
const USERNAME_INPUT = new RegExp(`^[A-Za-z0-9_.]{${USERNAME_MIN},${USERNAME_MAX}}$`);
/** Stored form: lower case. */
export const USERNAME = new RegExp(`^[a-z0-9_.]{${USERNAME_MIN},${USERNAME_MAX}}$`);
const EMAIL = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}.]+(\.[^\s@\p{Cc}.]+)+$/u;
/** Control characters and the bidirectional overrides that make text render as something else. */
const CONTROL = /[\p{Cc}\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/** A string field; anything else (a number, an object such as {"$gt": ""}) is refused by type. */
function text(field: string) {
  return z.string({ error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a string`) });
}

const codePoints = (s: string): number => [...s].length;

const USERNAME_RULE = 'username must be 3–30 characters of a-z, 0-9, "_" and "."';
const PASSWORD_RULE = `password must be ${PASSWORD_MIN}–${PASSWORD_MAX} characters`;
/** Each field reports its first problem only (`abort`): one message per field is enough to act on. */
const first = (error: string) => ({ error, abort: true });

export const usernameSchema = text('username')
  .regex(USERNAME_INPUT, first(USERNAME_RULE))
  .transform((s) => s.toLowerCase())
  .refine((s) => !RESERVED_USERNAMES.has(s), first('this username is reserved'));

export const emailSchema = text('email')
  .max(EMAIL_MAX + 64, first('email is too long'))
  .transform((s) => s.trim())
  .refine((s) => s.length <= EMAIL_MAX && EMAIL.test(s), first('email must be a valid address'));

/** Checked by length before anything else happens to it: an over-long password is never hashed. */
export const newPasswordSchema = text('password')
  .max(PASSWORD_MAX * 2, first(PASSWORD_RULE))
  .refine((s) => codePoints(s) >= PASSWORD_MIN && codePoints(s) <= PASSWORD_MAX, first(PASSWORD_RULE));

export const givenPasswordSchema = text('password')
  .min(1, first('password is required'))
  .max(PASSWORD_MAX * 2, first(`password must be at most ${PASSWORD_MAX} characters`))
  .refine((s) => codePoints(s) <= PASSWORD_MAX, first(`password must be at most ${PASSWORD_MAX} characters`));

/** NFC, trimmed; JS length (UTF-16 units) is what the event catalogue counts, so it is what we count. */
export const displayNameSchema = text('displayName')
  .max(DISPLAY_NAME_MAX * 4, first(`displayName must be at most ${DISPLAY_NAME_MAX} characters`))
  .transform((s) => s.normalize('NFC').trim())
  .refine((s) => !CONTROL.test(s), first('displayName must not contain control characters'))
  .refine((s) => s.length <= DISPLAY_NAME_MAX, first(`displayName must be at most ${DISPLAY_NAME_MAX} characters`));

export const bioSchema = text('bio')
  .max(BIO_MAX * 4, first(`bio must be at most ${BIO_MAX} characters`))
  .transform((s) => s.replace(/\r\n?/g, '\n').normalize('NFC').trim())
  .refine((s) => !CONTROL.test(s.replace(/\n/g, '')), first('bio must not contain control characters'))
  .refine((s) => s.length <= BIO_MAX, first(`bio must be at most ${BIO_MAX} characters`));

const avatarMediaId = z
  .string({ error: 'avatarMediaId must be a string or null' })
  .min(1, 'avatarMediaId must not be empty')
  .max(MAX_ID_LENGTH, 'avatarMediaId is too long')
  .regex(/^[A-Za-z0-9_-]+$/, 'avatarMediaId is not a media id')
  .nullable();

// ---- bodies ---------------------------------------------------------------------------------

export const SignUpBody = z
  .object({ email: emailSchema, username: usernameSchema, password: newPasswordSchema, displayName: displayNameSchema.optional() })
  .meta({ id: 'SignUpBody' });

export const SignInBody = z.object({ email: emailSchema, password: givenPasswordSchema }).meta({ id: 'SignInBody' });

/** Only these fields may change; anything else (username, email, id…) is refused, not ignored. */
export const ProfileUpdateBody = z
  .strictObject(
    { displayName: displayNameSchema.optional(), bio: bioSchema.optional(), avatarMediaId: avatarMediaId.optional() },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `only displayName, bio and avatarMediaId can be changed (not ${issue.keys
              .slice(0, 5)
              .map((k) => k.slice(0, 40))
              .join(', ')})`
          : undefined,
    },
  )
  .meta({ id: 'ProfileUpdateBody', description: 'avatarMediaId: a ready image of yours, or null to remove the avatar' });

export const UserIdParams = z.object({ id: idSchema });
export const UsernameParams = z.object({ username: z.string().regex(/^[A-Za-z0-9_.]{1,30}$/) });

const userAnswer = z.strictObject({ user: OwnUser });
const usersPage = pageOf(PublicUser).meta({ id: 'UserPage' });

// ---- routes ---------------------------------------------------------------------------------

/** Every path of this table is under it: `/api/v1/users`. */
export const USERS_PREFIX = servicePrefix('users');

export const authRoutes = defineRoutes({
  signUp: {
    method: 'post',
    path: `${USERS_PREFIX}/signup`,
    summary: 'Create an account and sign in',
    description: 'Sets the session and refresh cookies. Limited per address and per account.',
    request: { body: SignUpBody },
    responses: { 201: json('The new user', userAnswer) },
    errors: [400, 409, 429],
  },
  signIn: {
    method: 'post',
    path: `${USERS_PREFIX}/signin`,
    summary: 'Sign in',
    description: 'One message for an unknown email and a wrong password; slowed per (account, address) and per address.',
    request: { body: SignInBody },
    responses: { 200: json('The signed-in user', userAnswer) },
    errors: [400, 401, 429],
  },
  refresh: {
    method: 'post',
    path: `${USERS_PREFIX}/refresh`,
    summary: 'New session cookies for the refresh cookie',
    description: 'The refresh token is rotated; presenting a used one revokes its whole family.',
    responses: { 200: json('The signed-in user', userAnswer) },
    errors: [401],
  },
  signOut: {
    method: 'post',
    path: `${USERS_PREFIX}/signout`,
    summary: 'Sign out: clear the cookies and revoke the refresh family',
    responses: { 204: noContent('Signed out') },
  },
  currentUser: {
    method: 'get',
    path: `${USERS_PREFIX}/currentuser`,
    summary: 'Who is signed in',
    auth: 'optional',
    responses: { 200: json('The user, or null', z.strictObject({ currentUser: OwnUser.nullable() })) },
  },
  follow: {
    method: 'put',
    path: `${USERS_PREFIX}/:id/follow`,
    summary: 'Follow a user (idempotent)',
    auth: 'required',
    request: { params: UserIdParams },
    responses: { 204: noContent('Following') },
    errors: [400, 401, 404, 429],
  },
  unfollow: {
    method: 'delete',
    path: `${USERS_PREFIX}/:id/follow`,
    summary: 'Unfollow a user (idempotent)',
    auth: 'required',
    request: { params: UserIdParams },
    responses: { 204: noContent('Not following') },
    errors: [400, 401, 404, 429],
  },
  followers: {
    method: 'get',
    path: `${USERS_PREFIX}/:id/followers`,
    summary: "A user's followers, newest first",
    request: { params: UserIdParams, query: PageQuery },
    responses: { 200: json('A page of users', usersPage) },
    errors: [400, 404],
  },
  following: {
    method: 'get',
    path: `${USERS_PREFIX}/:id/following`,
    summary: 'Whom a user follows, newest first',
    request: { params: UserIdParams, query: PageQuery },
    responses: { 200: json('A page of users', usersPage) },
    errors: [400, 404],
  },
  updateProfile: {
    method: 'patch',
    path: `${USERS_PREFIX}/me`,
    summary: 'Change your display name, bio or avatar',
    auth: 'required',
    request: { body: ProfileUpdateBody },
    responses: { 200: json('The changed user', userAnswer) },
    errors: [400, 401, 429],
  },
  profile: {
    method: 'get',
    path: `${USERS_PREFIX}/:username`,
    summary: 'A public profile',
    description: 'With the counts; `isFollowing` for a signed-in viewer; the email only to its owner.',
    auth: 'optional',
    request: { params: UsernameParams },
    responses: { 200: json('The profile', z.strictObject({ user: Profile })) },
    errors: [400, 404],
  },
});

export const authContract: ServiceContract = {
  service: 'auth',
  title: 'Lumina users (auth)',
  description: 'Accounts, sessions, profiles and the follow graph.',
  prefix: USERS_PREFIX,
  routes: authRoutes,
};
