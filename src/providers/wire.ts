// zod primitives for server JSON that every provider's schema shares. Servers and plugins are not
// consistent about number-vs-string, so numbers accept numeric strings and ids accept numbers.
import { z } from 'zod';

/** A number, or a string holding one (some PMS builds and plugins quote numbers). */
export const lenientNumber = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number)
    // 400 digits are a number too, but not a finite one.
    .pipe(z.number()),
]);

/** Ids are opaque strings; a number is taken as its text. */
export const lenientId = z.union([z.string(), z.number().transform(String)]);
