import { useRef, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { ApiError } from '../api/http';
import { usersApi } from '../api/users';
import { ErrorSummary, TextField, buttonClass } from '../components/forms';
import { useSession } from '../session';
import { checkEmail, focusFirstInvalid, hasErrors, type Errors } from '../lib/validation';
import { AuthFrame } from './AuthFrame';

type Field = 'email' | 'password';
const FIELDS: readonly Field[] = ['email', 'password'];

function validate(values: Record<Field, string>): Errors<Field> {
  return { email: checkEmail(values.email), password: values.password ? undefined : 'Enter your password.' };
}

export default function SignIn() {
  const { setUser } = useSession();
  const location = useLocation();
  const form = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<Record<Field, string>>({ email: '', password: '' });
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
      setUser(await usersApi.signIn(values.email.trim(), values.password));
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError) {
        setErrors(Object.fromEntries(FIELDS.map((f) => [f, err.fieldMessage(f)])) as Errors<Field>);
        setGeneral(err.generalMessages(FIELDS));
      } else {
        setGeneral(['Something went wrong. Try again.']);
      }
    }
  };

  return (
    <AuthFrame
      title="Sign in"
      footer={
        <>
          New to Lumina?{' '}
          <Link to={{ pathname: '/signup', search: location.search }} className="font-semibold text-violet-700 hover:underline">
            Create an account
          </Link>
        </>
      }
    >
      <form ref={form} noValidate onSubmit={submit} className="flex flex-col gap-4" aria-label="Sign in">
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
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          value={values.password}
          onChange={change('password')}
          error={errors.password}
          required
        />
        <button type="submit" className={buttonClass('primary', 'w-full py-2.5')} disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </AuthFrame>
  );
}
