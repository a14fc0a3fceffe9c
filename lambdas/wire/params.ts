import * as z from 'zod';

/**
 * zod building blocks for REST parameters. Form-encoded values arrive as strings, JSON
 * values as numbers and booleans: each helper accepts both and yields one type.
 */

/** A JSON Schema fragment. */
export type WireForm = Record<string, unknown>;

/** The metadata key under which a helper's schema carries its wire form (zod's `.meta()`). */
export const WIRE_FORM = 'wireForm';

/**
 * What a client may write for a normalised parameter, kept in the schema's zod metadata
 * (`.describe()` keeps it). The OpenAPI document shows this form instead of the normalised
 * type, so it accepts `clear=0` and `"5"` exactly as the handlers do (wire/openapi.ts).
 */
function accepting<T extends z.ZodType>(schema: T, form: WireForm): T {
  return schema.meta({ [WIRE_FORM]: form }) as T;
}

/** The wire form of a helper's schema; undefined for a schema that has none. */
export const wireFormOf = (schema: z.ZodType): WireForm | undefined => z.globalRegistry.get(schema)?.[WIRE_FORM] as WireForm | undefined;

const formOf = (schema: z.ZodType): WireForm => wireFormOf(schema) ?? {};

/** A non-negative integer given as a number or a decimal string. */
export const nonNegativeInt = accepting(
  z.preprocess(
    (v) => (typeof v === 'string' && /^\s*\d{1,15}\s*$/.test(v) ? Number(v) : v),
    z.number({ error: 'must be a non-negative integer' }).int('must be a non-negative integer').min(0, 'must be a non-negative integer'),
  ),
  { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^\\s*\\d{1,15}\\s*$' }] },
);

/** An integer that may be negative (`start=-1`). */
export const integer = accepting(
  z.preprocess(
    (v) => (typeof v === 'string' && /^\s*-?\d{1,15}\s*$/.test(v) ? Number(v) : v),
    z.number({ error: 'must be an integer' }).int('must be an integer'),
  ),
  { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\s*-?\\d{1,15}\\s*$' }] },
);

/** 1/0, Y/N, true/false. */
export const flag = accepting(
  z.preprocess((v) => {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : v;
    if (typeof v === 'string') {
      const s = v.trim().toLowerCase();
      if (['1', 'y', 'true'].includes(s)) return true;
      if (['0', 'n', 'false', ''].includes(s)) return false;
    }
    return v;
  }, z.boolean({ error: 'must be 0 or 1' })),
  { anyOf: [{ type: 'boolean' }, { enum: [0, 1] }, { type: 'string', pattern: '^\\s*([01yYnN]|[tT][rR][uU][eE]|[fF][aA][lL][sS][eE])?\\s*$' }] },
);

/** A bounded string; numbers are accepted and turned into strings. */
export const text = (max: number) =>
  accepting(z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string({ error: 'must be a string' }).max(max, `must be at most ${max} characters`)), {
    anyOf: [{ type: 'string', maxLength: max }, { type: 'number' }],
  });

/** The `auth_connector` of a request: absent and empty mean "no connector". */
export const connector = text(128).optional().describe('The channel (connector) whose queue or binding this is; absent or "" is the default channel');

/** `event_type`: online (default) or offline; anything else is an argument error. */
export const eventType = accepting(
  z.preprocess(
    (v) => (v === undefined || v === '' ? 'online' : typeof v === 'string' ? v.trim().toLowerCase() : v),
    z.enum(['online', 'offline'], { error: 'must be online or offline' }),
  ),
  { type: 'string', pattern: '^(\\s*([oO][nN]|[oO][fF][fF])[lL][iI][nN][eE]\\s*)?$' },
).describe('online (default) or offline, in any case');

/** A list parameter (`id[]=1&id[]=2`, a JSON array, or one value), at most `max` items. */
export const list = <T extends z.ZodType>(item: T, max: number) =>
  accepting(
    z.preprocess(
      (v) => (v === undefined || v === '' ? undefined : Array.isArray(v) ? v : typeof v === 'object' && v !== null ? Object.values(v) : [v]),
      z.array(item).max(max, `must have at most ${max} items`).optional(),
    ),
    { anyOf: [{ type: 'array', maxItems: max, items: formOf(item) }, { type: 'object', maxProperties: max, additionalProperties: formOf(item) }, formOf(item)] },
  );

/** A positive integer (record IDs). */
export const positiveInt = accepting(
  z.preprocess(
    (v) => (typeof v === 'string' && /^\s*\d{1,16}\s*$/.test(v) ? Number(v) : v),
    z.number({ error: 'must be a positive integer' }).int('must be a positive integer').positive('must be a positive integer'),
  ),
  { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^\\s*\\d{1,16}\\s*$' }] },
);

/**
 * A MESSAGE_ID to look for. Any string (or number) up to 128 characters: one that names no
 * record matches nothing, as on Bitrix24, whose own docs use `message_id: [2]` (docs/core-methods.md).
 * Stored MESSAGE_IDs are lower-case hex, so the value is trimmed and lower-cased.
 */
export const messageId = accepting(
  z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().toLowerCase() : typeof v === 'number' ? String(v) : v),
    z.string({ error: 'must be a message id (a string)' }).max(128, 'must be at most 128 characters'),
  ),
  { anyOf: [{ type: 'string', maxLength: 128 }, { type: 'number' }] },
);
