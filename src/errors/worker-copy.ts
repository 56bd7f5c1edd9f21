/**
 * Whether a service worker controls this page (`navigator.serviceWorker.controller`): only then can an answer be a
 * steadfetch worker's stand-in, so no other context (Node, a page no worker controls, a worker itself) reads a header
 * per answer for it. Asked per answer (a worker may claim the page later); a context that refuses service workers (an
 * opaque origin, a sandboxed iframe: reading `navigator.serviceWorker` throws a `SecurityError`) has none.
 */
const controlled = (): boolean => {
	try {
		return Boolean((globalThis as { navigator?: { serviceWorker?: { controller?: unknown } } }).navigator?.serviceWorker?.controller);
	} catch {
		return false;
	}
};

/**
 * Why a steadfetch service worker answered with its stale copy (`Cache-Status: steadfetch; hit; …; detail=<reason>`:
 * `network`, `timeout`, `circuit-open`…), or `fallback` for its `fallback` answer (`steadfetch; fwd=miss; detail=fallback`:
 * the app's stand-in for a failure it does not name, with any status the app gave it: an offline page's 503, a 404), read
 * on an answer in a page a worker controls (`controlled`), else `undefined`: an answer in the origin's place, which the parts that count attempts count as
 * its reason says (origin-failed.ts). The edge build's stand-in (worker-copy-edge.ts) reads nothing: no service worker
 * stands in front of a Worker, Deno or an edge function.
 */
export const workerCopy = (response: Response): string | undefined =>
	controlled() ? /^steadfetch; (?:hit;.*|fwd=miss; )detail=([^;\s]+)/.exec(response.headers.get('cache-status') ?? '')?.[1] : undefined;

/**
 * The `stats()` counter (core/stats.ts `Counter`) a steadfetch service worker's answer in the origin's place counts in, in a page it controls: its
 * stale copy `stale` (`failed`, `originFailed`'s word on the answer, is not `false` below 300 only for a copy or its
 * fallback; the fallback counts in none), its `202` for a write its outbox queued (`Steadfetch-Outbox-Entry`) `queued`;
 * any other answer none, no header read. The edge build's stand-in counts none.
 */
export const standIn = (response: Response, failed: boolean | undefined): 'stale' | 'queued' | undefined =>
	failed !== false && response.status < 300 ? (workerCopy(response) === 'fallback' ? undefined : 'stale')
	: response.status === 202 && controlled() && response.headers.has('steadfetch-outbox-entry') ? 'queued' : undefined;
