import type { Plugin } from 'esbuild';
import { defineConfig, type Options } from 'tsup';

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
 * What a runtime's build swaps: `src/stores/auto.ts` for `auto-<variant>.ts` (its default store),
 * `src/utils/copy.ts` for `copy-native.ts` (there `structuredClone` is the engine's own and cheap; the
 * direct copy of plain data is for Node, whose `structuredClone` costs microseconds per value), and for
 * the edge, `src/cloudflare/ambient.ts` for `ambient-edge.ts` (a static import of `cloudflare:workers`,
 * which only workerd resolves: `steadfetch/cloudflare` is for Workers). The browser build swaps
 * `core/invocation.ts`, `core/redirects.ts`, `core/with-context.ts` and `core/part-store-drop.ts` for
 * `-browser.ts` (no request contexts: `withContext` throws, no background work dropped), and
 * `cache/cut.ts` (no read's run cut when its copy answers) and `outbox/request-bound.ts` (no drain's heartbeat,
 * none taken over, no work held back for want of a `waitUntil`), the edge build
 * `utils/channel.ts`, `tabs.ts`, `lock.ts`, `listen.ts` and `online.ts`, `core/world-tabs.ts`, `breaker/tabs.ts`,
 * `throttle/tabs.ts`, `outbox/pending-tabs.ts`, `outbox/locks.ts`, `rate-limit/tabs.ts` and `auth/tabs.ts` for `-edge.ts` (no tab
 * sync, Web Locks, `online` or visibility listeners): API.md "Builds per runtime", checked by `scripts/size.mjs`.
 */
const swapsFor = (variant: 'browser' | 'edge'): Plugin => ({
	name: `steadfetch-swaps-${variant}`,
	setup(build) {
		const src = (resolveDir: string): string => resolveDir.replace(/\/src\/.*$/, '/src');
		build.onResolve({ filter: /\/stores\/auto\.js$/ }, (args) => ({ path: `${src(args.resolveDir)}/stores/auto-${variant}.ts` }));
		build.onResolve({ filter: /\/utils\/copy\.js$/ }, (args) => ({ path: `${src(args.resolveDir)}/utils/copy-native.ts` }));
		if (variant === 'browser') {
			for (const name of ['invocation', 'redirects', 'with-context', 'part-store-drop']) {
				build.onResolve({ filter: new RegExp(`/core/${name}\\.js$|^\\./${name}\\.js$`) }, (args) => ({ path: `${src(args.resolveDir)}/core/${name}-browser.ts` }));
			}

			// The stale cache's cut of a read's run when its copy answers (Workers without waitUntil): `cache/cut-browser.ts` cuts nothing.
			build.onResolve({ filter: /^\.\/cut\.js$/ }, (args) => args.resolveDir.endsWith('/src/cache') ? { path: `${src(args.resolveDir)}/cache/cut-browser.ts` } : undefined);
			// The outbox's Workers-only work (a drain's heartbeat and take-over, work held back without waitUntil): `outbox/request-bound-browser.ts` does none.
			build.onResolve({ filter: /^\.\/request-bound\.js$/ }, (args) => args.resolveDir.endsWith('/src/outbox') ? { path: `${src(args.resolveDir)}/outbox/request-bound-browser.ts` } : undefined);
		}

		if (variant === 'edge') {
			build.onResolve({ filter: /\/ambient\.js$/ }, (args) => ({ path: `${src(args.resolveDir)}/cloudflare/ambient-edge.ts` }));
			for (const name of ['channel', 'tabs', 'lock', 'listen', 'online', 'has-indexeddb']) {
				build.onResolve({ filter: new RegExp(`/utils/${name}\\.js$`) }, (args) => ({ path: `${src(args.resolveDir)}/utils/${name}-edge.ts` }));
			}

			build.onResolve({ filter: /\/world-tabs\.js$/ }, (args) => ({ path: `${src(args.resolveDir)}/core/world-tabs-edge.ts` }));
			// The breaker's own tab sync (its channel's receiver, the recovery triggers): `breaker/tabs-edge.ts`.
			build.onResolve({ filter: /^\.\/tabs\.js$/ }, (args) => args.resolveDir.endsWith('/src/breaker') ? { path: `${src(args.resolveDir)}/breaker/tabs-edge.ts` } : undefined);
			// The throttle's counts told to and heard from other tabs, the outbox's pending writes told to and heard
			// from other tabs (their channels' receivers): `throttle/tabs-edge.ts`, `outbox/pending-tabs-edge.ts`.
			build.onResolve({ filter: /^\.\/tabs\.js$/ }, (args) => args.resolveDir.endsWith('/src/throttle') ? { path: `${src(args.resolveDir)}/throttle/tabs-edge.ts` } : undefined);
			// The rate limiter's channel to other tabs (a server's spent quota told and heard): `rate-limit/tabs-edge.ts`.
			build.onResolve({ filter: /^\.\/tabs\.js$/ }, (args) => args.resolveDir.endsWith('/src/rate-limit') ? { path: `${src(args.resolveDir)}/rate-limit/tabs-edge.ts` } : undefined);
			// Auth's refresh shared by tabs (its Web Lock, the channel that says one finished): `auth/tabs-edge.ts`.
			build.onResolve({ filter: /^\.\/tabs\.js$/ }, (args) => args.resolveDir.endsWith('/src/auth') ? { path: `${src(args.resolveDir)}/auth/tabs-edge.ts` } : undefined);
			build.onResolve({ filter: /^\.\/pending-tabs\.js$/ }, (args) => args.resolveDir.endsWith('/src/outbox') ? { path: `${src(args.resolveDir)}/outbox/pending-tabs-edge.ts` } : undefined);
			// The outbox's Web Locks (the drain's, an entry's): `outbox/locks-edge.ts` runs the task at once.
			build.onResolve({ filter: /^\.\/locks\.js$/ }, (args) => args.resolveDir.endsWith('/src/outbox') ? { path: `${src(args.resolveDir)}/outbox/locks-edge.ts` } : undefined);
			// TanStack's `navigator.onLine` listener that `followReachability`'s unsubscribe gives back: `tanstack-query/on-line-edge.ts`.
			build.onResolve({ filter: /^\.\/on-line\.js$/ }, (args) => args.resolveDir.endsWith('/src/tanstack-query') ? { path: `${src(args.resolveDir)}/tanstack-query/on-line-edge.ts` } : undefined);
			// The outbox's Background Sync registration (service workers only): `outbox/register-sync-edge.ts` asks for nothing.
			build.onResolve({ filter: /^\.\/register-sync\.js$/ }, (args) => args.resolveDir.endsWith('/src/outbox') ? { path: `${src(args.resolveDir)}/outbox/register-sync-edge.ts` } : undefined);
		}
	},
});

export default defineConfig([
	// Node, bundlers without a runtime condition, CJS: every store, picked at run time.
	{ ...shared, format: ['esm', 'cjs'], dts: true },
	// `browser` (Vite, webpack, esbuild for browsers): no Cache API store code, the engine's structuredClone.
	{ ...shared, format: ['esm'], outDir: 'dist/browser', esbuildPlugins: [swapsFor('browser')] },
	// `workerd`, `deno`, `edge-light`: no idb-keyval, the engine's structuredClone.
	{ ...shared, format: ['esm'], outDir: 'dist/edge', esbuildPlugins: [swapsFor('edge')] },
]);
