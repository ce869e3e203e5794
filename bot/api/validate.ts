/** Request validation with the shared zod schemas; failures become 400 `invalid_request`. */
import type { z } from 'zod';
import { ApiError } from './errors.ts';

export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const message = r.error.issues
    .map((i) => {
      const field = i.path.map(String).join('.');
      return field && !i.message.startsWith(field) ? `${field}: ${i.message}` : i.message;
    })
    .join('; ');
  throw new ApiError(400, 'invalid_request', `${message}.`);
}
