/**
 * PHP's `http_build_query` (default arguments: no numeric prefix, `&`, RFC 1738) applied to
 * the value PHP's `json_decode($json, true)` makes of this value's JSON. Every form body the
 * service writes goes through here (docs/core-methods.md), so a handler reading `$_REQUEST` sees what
 * Bitrix24 would have sent it: `true` → `1`, `false` → `0`, `null` and empty arrays left
 * out, nested keys `a[b][0]=…` with the brackets percent-encoded, space as `+`.
 *
 * Numbers follow json_decode: an integer written without a fraction or exponent that fits
 * PHP's 64-bit int is an int (its digits); any other number is a float, which
 * http_build_query prints with `%.14G` (PHP's `precision` ini, 14 by default): `0.1`,
 * `1.0E+20`, `1.0E-5`. Key order is the value's own (JavaScript puts integer-like keys
 * first; PHP would keep a JSON text's order).
 * `test/unit/domain/php-query.test.ts` compares this byte for byte with real PHP.
 */
export function httpBuildQuery(value: Record<string, unknown> | readonly unknown[]): string {
  const parts: string[] = [];
  append(parts, value, undefined);
  return parts.join('&');
}

function append(parts: string[], value: Record<string, unknown> | readonly unknown[], prefix: string | undefined): void {
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  for (const [key, child] of entries) {
    // toJSON (Dates) first, as JSON.stringify would before PHP saw the value.
    const item = toJsonValue(child);
    if (item === null || item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    const name = prefix === undefined ? urlencode(key) : `${prefix}%5B${urlencode(key)}%5D`;
    if (typeof item === 'object') append(parts, item as Record<string, unknown>, name);
    else parts.push(`${name}=${scalar(item)}`);
  }
}

function toJsonValue(value: unknown): unknown {
  const withToJson = value as { toJSON?: () => unknown } | null;
  return withToJson !== null && typeof withToJson === 'object' && typeof withToJson.toJSON === 'function' ? withToJson.toJSON() : value;
}

function scalar(value: unknown): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return urlencode(phpNumber(value));
  if (typeof value === 'bigint') return value.toString();
  return urlencode(String(value));
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** The string PHP prints for the number json_decode makes of `JSON.stringify(n)`. */
export function phpNumber(n: number): string {
  if (!Number.isFinite(n)) return '0'; // JSON.stringify writes null; never reached for JSON values
  const json = JSON.stringify(n);
  if (/^-?\d+$/.test(json)) {
    const big = BigInt(json);
    if (big <= INT64_MAX && big >= INT64_MIN) return json;
  }
  return phpFloat(n);
}

/** C's `%.14G` as PHP's zend_gcvt writes it (mantissa always has a fraction digit: `1.0E+20`). */
export function phpFloat(n: number, precision = 14): string {
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const sign = n < 0 ? '-' : '';
  const [mantissa, exponentText] = Math.abs(n).toExponential(precision - 1).split('e') as [string, string];
  const digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
  const decpt = Number(exponentText) + 1; // position of the decimal point after the first digit
  if (decpt < -3 || decpt > precision) {
    const exponent = decpt - 1;
    return `${sign}${digits[0]}.${digits.length > 1 ? digits.slice(1) : '0'}E${exponent < 0 ? '-' : '+'}${Math.abs(exponent)}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (digits.length <= decpt) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

const UTF8 = new TextEncoder();

/** PHP's `urlencode`: letters, digits and `-_.` stay, space is `+`, every other UTF-8 byte `%XX`. */
export function urlencode(text: string): string {
  let out = '';
  for (const byte of UTF8.encode(text)) {
    if ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d || byte === 0x2e || byte === 0x5f) out += String.fromCharCode(byte);
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
