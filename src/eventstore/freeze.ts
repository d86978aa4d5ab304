/**
 * Recorded events and cached snapshots are shared between every reader and
 * the caches. Frozen, a mutation fails loudly where it is made instead of
 * silently changing what the next load sees.
 */
export function deepFreeze<T>(value: T): T {
  // Typed arrays cannot be frozen while they have elements; JSON never makes them.
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}
