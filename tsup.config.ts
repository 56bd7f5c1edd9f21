import type { Plugin } from 'esbuild';
import { resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import { standIn } from './scripts/swaps.mjs';

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
	auth: 'src/entries/auth.ts',
	trace: 'src/entries/trace.ts',
	otel: 'src/entries/otel.ts',
	logger: 'src/entries/logger.ts',
	health: 'src/entries/health.ts',
	throttle: 'src/entries/throttle.ts',
	policy: 'src/entries/policy.ts',
	cloudflare: 'src/entries/cloudflare.ts',
	deno: 'src/entries/deno.ts',
	redis: 'src/entries/redis.ts',
	sw: 'src/entries/sw.ts',
	'tanstack-query': 'src/entries/tanstack-query.ts',
};

const shared: Options = {
	entry: entries,
	target: 'es2022',
	platform: 'neutral',
	// No maps in the package: they would map to src/, which it does not ship (2.4 MB of its 3.5 MB). The
	// output is not minified, and each chunk names the source file of every part (`// src/…`).
	sourcemap: false,
	// Tree-shaken by Rollup chunk by chunk; nothing of ours runs at import, so an import whose bindings
	// were all shaken away is dropped too (the default keeps it as a bare `import './chunk-x.js'`, which
	// `"sideEffects": false` makes esbuild, and so wrangler, warn about: [ignored-bare-import]).
	treeshake: { moduleSideEffects: false },
	// Shared chunks in both formats: each class exists once, whichever entries a program loads.
	splitting: true,
	// ky and idb-keyval stay dependencies: users' bundlers dedupe them.
	external: ['ky', 'idb-keyval', '@opentelemetry/api', 'cloudflare:workers'],
	// `npm run build` empties dist/ first: the builds below run side by side.
	clean: false,
};

/**
 * What a runtime's build swaps (API.md "Builds per runtime", checked by `scripts/size.mjs`): a module of
 * src/ with a sibling `-browser.ts` or `-edge.ts` is replaced by it in that build, and `utils/copy.ts` by
 * `copy-native.ts` in both (scripts/swaps.mjs, which size.mjs bundles with too). The browser's stand-ins:
 * no request contexts (`withContext` throws), no background work dropped, no read's run cut when its copy
 * answers, no drain's heartbeat or take-over, no server runtime's network failures rethrown, no `Worlds`
 * shared by name (a browser always has tabs), and no Cache API store (`stores/auto-browser.ts`); the edge's:
 * no IndexedDB, tab sync, Web Locks, `online` or visibility listeners, no Background Sync, and
 * `cloudflare/ambient-edge.ts` (a static import of `cloudflare:workers`, which only workerd resolves).
 */
const swapsFor = (variant: 'browser' | 'edge'): Plugin => ({
	name: `steadfetch-swaps-${variant}`,
	setup(build) {
		const src = resolve('src');
		build.onResolve({ filter: /^\..*\.js$/ }, (args) => {
			const path = standIn(src, variant, args.resolveDir, args.path);
			return path ? { path } : undefined;
		});
	},
});

export default defineConfig([
	// Node, bundlers without a runtime condition, CJS: every store, picked at run time.
	{ ...shared, format: ['esm', 'cjs'], dts: true },
	// `browser` (Vite, webpack, esbuild for browsers): no Cache API store code, the engine's structuredClone.
	{ ...shared, format: ['esm'], outDir: 'dist/browser', esbuildPlugins: [swapsFor('browser')] },
	// `workerd`, `deno`, `edge-light`: no idb-keyval, the engine's structuredClone; and `steadfetch/cloudflare`
	// for Deno and edge-light without `cloudflare:workers`, which only workerd resolves (cloudflare-portable).
	{ ...shared, entry: { ...entries, 'cloudflare-portable': 'src/entries/cloudflare-portable.ts' }, format: ['esm'], outDir: 'dist/edge', esbuildPlugins: [swapsFor('edge')] },
]);
