/** The sign-up and profile rules of DESIGN.md, checked before a request is sent. */

export type Errors<F extends string> = Partial<Record<F, string>>;

export const USERNAME = /^[a-z0-9_.]{3,30}$/;

export function checkEmail(email: string): string | undefined {
  const value = email.trim();
  if (!value) return 'Enter your email address.';
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) || value.length > 254) return 'Enter a valid email address, like name@example.com.';
  return undefined;
}

export function checkUsername(username: string): string | undefined {
  const value = username.trim().toLowerCase();
  if (!value) return 'Choose a username.';
  if (value.length < 3 || value.length > 30) return 'A username has 3 to 30 characters.';
  if (!USERNAME.test(value)) return 'Use only letters, digits, dots and underscores.';
  return undefined;
}

export function checkNewPassword(password: string): string | undefined {
  if (!password) return 'Choose a password.';
  if (password.length < 8) return 'Use at least 8 characters.';
  if (password.length > 128) return 'Use at most 128 characters.';
  return undefined;
}

export function checkDisplayName(name: string): string | undefined {
  return name.trim().length > 50 ? 'A display name has at most 50 characters.' : undefined;
}

export function checkBio(bio: string): string | undefined {
  return bio.length > 160 ? 'A bio has at most 160 characters.' : undefined;
}

export function hasErrors<F extends string>(errors: Errors<F>): boolean {
  return Object.values(errors).some(Boolean);
}

/** Moves focus to the first field (in form order) that has an error. */
export function focusFirstInvalid(form: HTMLFormElement | null): void {
  form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}
