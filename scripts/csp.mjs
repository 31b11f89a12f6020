// The Content-Security-Policy the app runs under, in one place: the build
// writes it into dist/index.html and the servers send it as a header. No
// inline script, no eval beyond WebAssembly compilation, nothing from
// another origin.
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  // The offload worker (src/offload) loads from our origin, never a blob: URL.
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
