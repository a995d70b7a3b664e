import { useRef, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { ApiError } from '../api/http';
import { usersApi } from '../api/users';
import { ErrorSummary, TextField, buttonClass } from '../components/forms';
import { useSession } from '../session';
import {
  checkDisplayName,
  checkEmail,
  checkNewPassword,
  checkUsername,
  focusFirstInvalid,
  hasErrors,
  type Errors,
} from '../lib/validation';
import { AuthFrame } from './AuthFrame';

type Field = 'email' | 'username' | 'password' | 'displayName';
const FIELDS: readonly Field[] = ['email', 'username', 'password', 'displayName'];

function validate(values: Record<Field, string>): Errors<Field> {
  return {
    email: checkEmail(values.email),
    username: checkUsername(values.username),
    password: checkNewPassword(values.password),
    displayName: checkDisplayName(values.displayName),
  };
}

export default function SignUp() {
  const { setUser } = useSession();
  const location = useLocation();
  const form = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<Record<Field, string>>({ email: '', username: '', password: '', displayName: '' });
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);

  const change = (field: Field) => (e: { target: { value: string } }) => {
    const next = { ...values, [field]: e.target.value };
    setValues(next);
    if (submitted) setErrors((prev) => ({ ...prev, [field]: validate(next)[field] }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setGeneral([]);
    const found = validate(values);
    setErrors(found);
    if (hasErrors(found)) {
      requestAnimationFrame(() => focusFirstInvalid(form.current));
      return;
    }
    setBusy(true);
    try {
      const user = await usersApi.signUp({
        email: values.email.trim(),
        username: values.username.trim().toLowerCase(),
        password: values.password,
        ...(values.displayName.trim() ? { displayName: values.displayName.trim() } : {}),
      });
      setUser(user);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError) {
        setErrors(Object.fromEntries(FIELDS.map((f) => [f, err.fieldMessage(f)])) as Errors<Field>);
        setGeneral(err.generalMessages(FIELDS));
        requestAnimationFrame(() => focusFirstInvalid(form.current));
      } else {
        setGeneral(['Something went wrong. Try again.']);
      }
    }
  };

  return (
    <AuthFrame
      title="Create your account"
      footer={
        <>
          Have an account?{' '}
          <Link to={{ pathname: '/signin', search: location.search }} className="font-semibold text-violet-700 hover:underline">
            Sign in
          </Link>
        </>
      }
    >
      <form ref={form} noValidate onSubmit={submit} className="flex flex-col gap-4" aria-label="Sign up">
        <ErrorSummary messages={general} />
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          value={values.email}
          onChange={change('email')}
          error={errors.email}
          required
        />
        <TextField
          label="Username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          value={values.username}
          onChange={change('username')}
          error={errors.username}
          hint="3–30 letters, digits, dots or underscores."
          required
        />
        <TextField
          label="Display name (optional)"
          name="displayName"
          autoComplete="name"
          value={values.displayName}
          onChange={change('displayName')}
          error={errors.displayName}
          maxLength={50}
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          value={values.password}
          onChange={change('password')}
          error={errors.password}
          hint="At least 8 characters."
          required
        />
        <button type="submit" className={buttonClass('primary', 'w-full py-2.5')} disabled={busy}>
          {busy ? 'Creating account…' : 'Sign up'}
        </button>
      </form>
    </AuthFrame>
  );
}
