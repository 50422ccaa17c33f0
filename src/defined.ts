/**
 * `defined({ a, b })`: the object without its undefined properties. Options and reports
 * leave a property out rather than set it to undefined (JSON output, deep-equal tests,
 * `'x' in opts`); this says so once instead of `...(a ? { a } : {})` per property. Only
 * undefined is dropped: `0`, `''`, `false` and `null` stay.
 */

/** The properties that may be undefined become optional and lose `undefined`; the others stay as they are. */
export type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>
}

export function defined<T extends object>(o: T): Defined<T> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v
  return out as Defined<T>
}
