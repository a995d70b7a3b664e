/** Path parameters, checked before they reach a rule or a query. */
import { BadRequestError } from '@lumina/common';
import { isId } from '../ids';

export function userIdParam(value: unknown): string {
  if (!isId(value)) throw new BadRequestError('Invalid user id', 'id');
  return value;
}

/** Usernames are looked up the way they are stored: lower case. */
export function usernameParam(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.]{1,30}$/.test(value)) throw new BadRequestError('Invalid username', 'username');
  return value.toLowerCase();
}
