import type { BreakerHandle } from '../core/client-types.js';
import type { PolicyContext } from '../core/policy.js';
import { scopeFor } from '../core/scope.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import type { BreakerSnapshot } from './snapshot.js';

interface Circuits {
	snapshot(scope: string): BreakerSnapshot;
	isolate(scope: string): void;
	reset(scope: string): void;
	probeNow?(scope: string): number;
}

/** `waitForHealthy`'s `timeoutMs` (ms, default 30 000): a rejected `InvalidRequestError` for a bad one. */
const waitTimeoutOf = (options: { timeoutMs?: number } | undefined): number => {
	const { timeoutMs = 30_000 } = options ?? {};
	if (!(typeof timeoutMs === 'number' && timeoutMs >= 0 && Number.isFinite(timeoutMs))) {
		throw new InvalidRequestError(`\`timeoutMs\` must be a non-negative finite number of ms; got ${String(timeoutMs)}`);
	}

	return timeoutMs;
};

/** `client.breaker(url)` (with `isolate`, `reset`) and `client.waitForHealthy`, over the breaker's circuits. */
export const breakerMembers = (circuits: Circuits, context: PolicyContext): { breaker: BreakerHandle; waitForHealthy: (urlOrScope: string | URL, options?: { timeoutMs?: number }) => Promise<void> } => {
	const scopeOf = (urlOrScope: string | URL): string => scopeFor(urlOrScope, context.scopeOf);
	const breaker = Object.assign((urlOrOrigin: string | URL) => circuits.snapshot(scopeOf(urlOrOrigin)), {
		isolate: (urlOrScope: string | URL) => circuits.isolate(scopeOf(urlOrScope)),
		reset: (urlOrScope: string | URL) => circuits.reset(scopeOf(urlOrScope)),
	});

	const waitForHealthy = async (urlOrScope: string | URL, options?: { timeoutMs?: number }): Promise<void> => {
		const timeoutMs = waitTimeoutOf(options);
		const scope = scopeOf(urlOrScope);
		if (circuits.snapshot(scope).state === 'closed') {
			return;
		}

		await new Promise<void>((resolve, reject) => {
			let poll: ReturnType<typeof setTimeout> | undefined;
			const done = (): void => {
				clearTimeout(timer);
				clearTimeout(poll);
				stop();
			};

			const stop = context.on('breaker:closed', (event) => {
				if (event.scope === scope) {
					done();
					resolve();
				}
			});
			const timer = setTimeout(() => {
				done();
				reject(new SteadfetchError(`${scope} was not healthy within ${timeoutMs} ms`, 'TIMEOUT', true));
			}, timeoutMs);
			// With \`breaker.probe\`, nobody's call need come: send the probe each time the breaker lets one
			// through (asked again at most every second, as the injected clock may move on its own).
			const { probeNow } = circuits;
			const tick = (): void => {
				poll = setTimeout(tick, Math.min(1000, Math.max(10, probeNow!(scope))));
			};

			if (probeNow) {
				tick();
			}
		});
	};

	return { breaker, waitForHealthy };
};
