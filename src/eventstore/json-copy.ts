/**
 * What `JSON.parse(JSON.stringify(value))` gives, for the values an append
 * stores, without writing and parsing the text: an append hands its events'
 * data through JSON (as a read will see it) and had to parse back every
 * value it had just written. Plain objects, arrays, strings, numbers,
 * booleans and null are copied as JSON would change them (-0 and non-finite
 * numbers, undefined members); anything else is left to JSON.
 */

/** A value the copy does not handle (a Date, a Map, a toJSON, a __proto__ key, deep nesting): JSON does. */
const NOT_PLAIN = Symbol('not plain JSON');
const MAX_DEPTH = 64;

/** JSON.parse(json), where json is JSON.stringify(value). */
export function jsonCopy(value: unknown, json: string): unknown {
  const copy = copyValue(value, 0);
  return copy === NOT_PLAIN ? JSON.parse(json) : copy;
}

/** The value's JSON copy; undefined for a value JSON leaves out (undefined, a function, a symbol). */
function copyValue(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // JSON writes -0 as 0, and NaN and the infinities as null.
      return Number.isFinite(value) ? value + 0 : null;
    case 'object':
      if (value === null) return null;
      if (depth === MAX_DEPTH) return NOT_PLAIN;
      return Array.isArray(value) ? copyArray(value, depth + 1) : copyObject(value, depth + 1);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      return NOT_PLAIN;
  }
}

function copyArray(array: unknown[], depth: number): unknown {
  if (Object.getPrototypeOf(array) !== Array.prototype || 'toJSON' in array) return NOT_PLAIN;
  const copy: unknown[] = new Array<unknown>(array.length);
  for (let i = 0; i < array.length; i++) {
    const item = copyValue(array[i], depth);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    // Left out of an object, such a value is null in an array (a hole too).
    copy[i] = item === undefined ? null : item;
  }
  return copy;
}

function copyObject(object: object, depth: number): unknown {
  const proto: unknown = Object.getPrototypeOf(object);
  if ((proto !== Object.prototype && proto !== null) || 'toJSON' in object) return NOT_PLAIN;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(object)) {
    // Assigned, this key would set the copy's prototype; JSON.parse makes it a member.
    if (key === '__proto__') return NOT_PLAIN;
    const member = copyValue((object as Record<string, unknown>)[key], depth);
    if (member === NOT_PLAIN) return NOT_PLAIN;
    if (member !== undefined) copy[key] = member;
  }
  return copy;
}
