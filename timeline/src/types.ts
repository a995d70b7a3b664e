import type { z } from 'zod';
import type { mentionSchema } from '@lumina/common';

export type Mention = z.infer<typeof mentionSchema>;
