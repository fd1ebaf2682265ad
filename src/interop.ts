// A module loaded with import() is a real namespace under tsc, but in the
// bundle it is a CommonJS require() wrapped by esbuild in Node's mode, whose
// `default` is the whole exports object. Unwrap that one level.
export function interop<T>(m: T): T {
  const d = (m as { default?: { __esModule?: boolean } }).default;
  return d && typeof d === 'object' && d.__esModule === true ? (d as T) : m;
}
