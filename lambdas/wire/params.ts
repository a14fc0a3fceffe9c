import * as z from 'zod';

/**
 * zod building blocks for REST parameters. Form-encoded values arrive as strings, JSON
 * values as numbers and booleans: each helper accepts both and yields one type.
 */

/** A non-negative integer given as a number or a decimal string. */
export const nonNegativeInt = z.preprocess(
  (v) => (typeof v === 'string' && /^\s*\d{1,15}\s*$/.test(v) ? Number(v) : v),
  z.number({ error: 'must be a non-negative integer' }).int('must be a non-negative integer').min(0, 'must be a non-negative integer'),
);

/** An integer that may be negative (`start=-1`). */
export const integer = z.preprocess(
  (v) => (typeof v === 'string' && /^\s*-?\d{1,15}\s*$/.test(v) ? Number(v) : v),
  z.number({ error: 'must be an integer' }).int('must be an integer'),
);

/** 1/0, Y/N, true/false. */
export const flag = z.preprocess((v) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['1', 'y', 'true'].includes(s)) return true;
    if (['0', 'n', 'false', ''].includes(s)) return false;
  }
  return v;
}, z.boolean({ error: 'must be 0 or 1' }));

/** A bounded string; numbers are accepted and turned into strings. */
export const text = (max: number) =>
  z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string({ error: 'must be a string' }).max(max, `must be at most ${max} characters`));

/** The `auth_connector` of a request: absent and empty mean "no connector". */
export const connector = text(128).optional();

/** `event_type`: online (default) or offline; anything else is an argument error. */
export const eventType = z.preprocess(
  (v) => (v === undefined || v === '' ? 'online' : typeof v === 'string' ? v.trim().toLowerCase() : v),
  z.enum(['online', 'offline'], { error: 'must be online or offline' }),
);

/** A list parameter (`id[]=1&id[]=2`, a JSON array, or one value), at most `max` items. */
export const list = <T extends z.ZodType>(item: T, max: number) =>
  z.preprocess(
    (v) => (v === undefined || v === '' ? undefined : Array.isArray(v) ? v : typeof v === 'object' && v !== null ? Object.values(v) : [v]),
    z.array(item).max(max, `must have at most ${max} items`).optional(),
  );

/** A positive integer (record IDs). */
export const positiveInt = z.preprocess(
  (v) => (typeof v === 'string' && /^\s*\d{1,16}\s*$/.test(v) ? Number(v) : v),
  z.number({ error: 'must be a positive integer' }).int('must be a positive integer').positive('must be a positive integer'),
);

/** A MESSAGE_ID: 32 hex characters. */
export const messageId = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
  z.string({ error: 'must be a 32-character message id' }).regex(/^[0-9a-f]{32}$/, 'must be a 32-character message id'),
);
