// The built library the benchmarks measure: dist/index.js, or the snapshot of it that run.mjs takes
// at start (STEADFETCH_DIST), so a rebuild of dist/ during a long run cannot change or break it.
import { pathToFileURL } from 'node:url';

const where = process.env.STEADFETCH_DIST ? pathToFileURL(process.env.STEADFETCH_DIST).href : new URL('../../dist/index.js', import.meta.url).href;

export const distUrl = where;
export const steadfetch = await import(where);

/** `steadfetch/core` from the same build. */
export const steadfetchCore = await import(new URL('core.js', where).href);

/** `steadfetch/trace` from the same build. */
export const steadfetchTrace = await import(new URL('trace.js', where).href);

/** The traffic policies' entries from the same build. */
export const steadfetchPolicies = {
	bulkhead: (await import(new URL('bulkhead.js', where).href)).bulkhead,
	dedupe: (await import(new URL('dedupe.js', where).href)).dedupe,
	rateLimit: (await import(new URL('rate-limit.js', where).href)).rateLimit,
	hedge: (await import(new URL('hedge.js', where).href)).hedge,
};
