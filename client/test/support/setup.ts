import '@testing-library/jest-dom';
import { TextDecoder, TextEncoder } from 'node:util';

// jsdom lacks these; react-router's CJS build needs TextEncoder at import time.
Object.assign(globalThis, { TextEncoder, TextDecoder });

// jsdom leaves window.scrollTo unimplemented (and logs an error when it is called).
window.scrollTo = (() => undefined) as typeof window.scrollTo;
Element.prototype.scrollTo = function scrollTo() {} as typeof Element.prototype.scrollTo;

import { installCanvas } from './canvas';
installCanvas();
