import { InvalidRequestError } from '../errors/InvalidRequestError.js';

/** The Fetch standard's bad ports (https://fetch.spec.whatwg.org/#bad-port), as browsers, Node's `fetch` and Deno's block them. */
const badPorts = new Set(('1 7 9 11 13 15 17 19 20 21 22 23 25 37 42 43 53 69 77 79 87 95 101 102 103 104 109 110 111 113 115 117 119 123 135 137 '
	+ '139 143 161 179 389 427 465 512 513 514 515 526 530 531 532 540 548 554 556 563 587 601 636 989 990 993 995 1719 1720 1723 '
	+ '2049 3659 4045 4190 5060 5061 6000 6566 6665 6666 6667 6668 6669 6679 6697 10080').split(' '));

/**
 * Schemes no runtime's `fetch` sends (each rejects with a TypeError, which reads as a network failure): `ftp:` (removed
 * from the Fetch standard), `ws:`/`wss:` (a `WebSocket`'s), `mailto:`, `javascript:`. Any other scheme is left to the
 * runtime, as a ky user expects: `data:` and `blob:` (every runtime answers them), `file:` (Deno's `fetch` reads a file),
 * and an app's own (`capacitor://`, `app://`, an Electron or WebView scheme its shell answers).
 */
const neverSent = /^(?:ftp|wss?|mailto|javascript):/;

/**
 * The `InvalidRequestError` of a failed attempt whose own URL (a normalised `Request.url`) no `fetch` sends, in every
 * build: a scheme of `neverSent`, or an http(s) URL with a port the Fetch standard blocks (`http://h:6000/`, `:1`). The
 * runtime refuses it before any I/O with a TypeError that reads as a network failure, which it was in the browser and
 * edge builds (retried, counted by the breaker and reachability, a write queued in the outbox for ever). Asked by the
 * transport only when an attempt failed (nothing on one that answers; a custom `fetch` that sends such a URL is taken at
 * its word). Undefined for any other URL. A redirect to such a URL is the origin's
 * answer, never looked at here (the runtime's, or steadfetch's, redirect hop).
 */
export const refusedUrl = (url: string): InvalidRequestError | undefined => {
	let port = '';
	try {
		const parsed = new URL(url);
		port = /^https?:$/.test(parsed.protocol) ? parsed.port : '';
	} catch {}

	const refused = neverSent.exec(url)?.[0] ?? (badPorts.has(port) ? `the port ${port} (the Fetch standard's bad ports)` : undefined);
	return refused === undefined ? undefined : new InvalidRequestError(`Invalid request: fetch never sends to ${refused}`);
};
