/**
 * Why a steadfetch service worker answered with its stale copy (`Cache-Status: steadfetch; hit; …; detail=<reason>`:
 * `network`, `timeout`, `circuit-open`…), read on an answer below 300 (a copy's status), else `undefined`: an answer in
 * the origin's place, which the transport counts as its reason says (core/transport.ts). The edge build's stand-in
 * (worker-copy-edge.ts) reads nothing: no service worker stands in front of a Worker, Deno or an edge function.
 */
export const workerCopy = (response: Response): string | undefined =>
	response.status < 300 ? /^steadfetch; hit;.*detail=([^;\s]+)/.exec(response.headers.get('cache-status') ?? '')?.[1] : undefined;
