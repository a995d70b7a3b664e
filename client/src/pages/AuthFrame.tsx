import type { ReactNode } from 'react';
import { useDocumentTitle } from '../components/Layout';

/** The centred card the sign-in and sign-up screens share. */
export function AuthFrame({ title, children, footer }: { title: string; children: ReactNode; footer: ReactNode }) {
  useDocumentTitle(title);
  return (
    <div className="flex min-h-dvh items-center justify-center bg-gradient-to-br from-violet-50 via-stone-50 to-amber-50 px-4 py-10">
      <main className="w-full max-w-sm">
        <p className="mb-6 text-center text-4xl font-bold tracking-tight text-violet-700">Lumina</p>
        <div className="rounded-2xl border border-stone-200 bg-white p-6 shadow-sm">
          <h1 className="mb-4 text-xl font-bold text-stone-900">{title}</h1>
          {children}
        </div>
        <div className="mt-4 text-center text-sm text-stone-700">{footer}</div>
      </main>
    </div>
  );
}
