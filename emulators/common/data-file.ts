// Loading and validating emulator state: zod does the checking, errors name the path of every
// bad field ("items[3].RunTimeTicks: …") and the source they came from.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

export function parseWithSchema<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid ${what}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}
