// The page script of bench/outbox-scale.mjs (bundled with esbuild, steadfetch from the built dist/):
// the preset with `outbox()` over IndexedDB (the default store in a page). Served by the bench
// origin, so the writes are same-origin.
import { createClient, outbox } from 'steadfetch';
import { scaleRun } from './lib/outbox-scale-run.mjs';

globalThis.scale = async (options) => scaleRun({ createClient, outbox }, options);
