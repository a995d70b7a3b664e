/** Path parameters, checked by the contract's id schema before they reach a rule or a query. */
import { parseWith } from '@lumina/common';
import { idSchema } from '@lumina/contract';
import { z } from 'zod';

/** A path parameter that must be an id; anything else is a 400 naming the parameter. */
export function idParam(params: Record<string, unknown>, name: string): string {
  return parseWith(z.object({ [name]: idSchema }), params)[name] as string;
}
