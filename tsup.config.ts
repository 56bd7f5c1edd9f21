import { defineConfig } from 'tsup';

/** One file per package entry (src/entries/), nothing else imports them. */
export const entries = {
	index: 'src/entries/index.ts',
	core: 'src/entries/core.ts',
	breaker: 'src/entries/breaker.ts',
	cache: 'src/entries/cache.ts',
	outbox: 'src/entries/outbox.ts',
	bulkhead: 'src/entries/bulkhead.ts',
	dedupe: 'src/entries/dedupe.ts',
	'rate-limit': 'src/entries/rate-limit.ts',
	hedge: 'src/entries/hedge.ts',
	failover: 'src/entries/failover.ts',
};

export default defineConfig({
	entry: entries,
	format: ['esm', 'cjs'],
	dts: true,
	target: 'es2022',
	platform: 'neutral',
	sourcemap: true,
	clean: true,
	treeshake: true,
	// Shared chunks in both formats: each class exists once, whichever entries a program loads.
	splitting: true,
	// ky and idb-keyval stay dependencies: users' bundlers dedupe them.
	external: ['ky', 'idb-keyval'],
});
