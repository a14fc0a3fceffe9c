import { z } from 'zod';

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
