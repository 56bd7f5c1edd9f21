/**
 * `steadfetch/core` as the sources name it in TypeScript: each policy adds its events and per-call
 * options with `declare module 'steadfetch/core'` (as an app's own policy would), and tsconfig.json's
 * `paths` maps that name here, to the core entry's source. A declaration file on purpose: TypeScript
 * looks for `.d.ts`, esbuild does not, so every bundle esbuild makes in this repository (the size
 * budget, the benches, the Workers of the tests), which reads the same `paths`, still takes
 * `steadfetch/core` from the built package, as an app does.
 */
export * from './core.js';
