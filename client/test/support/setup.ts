import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';
import { TextDecoder, TextEncoder } from 'node:util';

// Every screen is a lazy chunk, and a test's first visit to one transforms it and everything it
// imports; on a clean clone (no transform cache) in a busy CI run that alone has taken more than
// the library's default second (CI failed once so, on session.test.tsx). A wait still ends as
// soon as what it waits for is there.
configure({ asyncUtilTimeout: 5000 });

// jsdom lacks these; react-router's CJS build needs TextEncoder at import time.
Object.assign(globalThis, { TextEncoder, TextDecoder });

// jsdom leaves window.scrollTo unimplemented (and logs an error when it is called).
window.scrollTo = (() => undefined) as typeof window.scrollTo;
Element.prototype.scrollTo = function scrollTo() {} as typeof Element.prototype.scrollTo;

import { installCanvas } from './canvas';
installCanvas();
