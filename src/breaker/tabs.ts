import { openChannel } from '../utils/channel.js';
import { listenBack } from '../utils/listen.js';
import { webLocks } from '../utils/lock.js';
import { storageError } from '../core/part-store.js';
import { hasTabs } from '../utils/tabs.js';
import { closeCircuits, hear, read, type Circuits } from './circuits.js';
import { poke } from './probe.js';

/**
 * A recovery trigger (`online`, the page visible again): every breaker open because of attempts that
 * got no HTTP answer turns half-open at once (`recover`); with `breaker.probe`, its probe goes now.
 */
const recover = (circuits: Circuits, reason: string): void => {
	const now = circuits.clock.now();
	for (const [, circuit] of circuits.scopes.entries()) {
		if (circuits.recover(circuit, now, reason)) {
			poke(circuits, circuit, now);
		}
	}
};

/**
 * `start()`: the channel to the other tabs (where there are any, or with `share: true`) and their Web
 * Locks, and the recovery triggers.
 */
export const start = (circuits: Circuits): void => {
	const { context } = circuits;
	if (circuits.options.share === true || (circuits.store && hasTabs())) {
		// A malformed message (any script of the origin can post one) is ignored and reported, once
		// per message, without its content (it may be large).
		circuits.channel = openChannel(`steadfetch:${context.name}:breaker`, (data) => {
			const record = read(circuits, data);
			if (record) {
				const circuit = circuits.scopes.scope(record.scope);
				circuits.adopt(circuit, record, 'shared');
				hear(circuits, circuit, record, data);
			} else {
				storageError(context, 'breaker', 'channel', new TypeError('Ignored a malformed breaker record from another tab'));
			}
		});
		circuits.locks = webLocks();
	}

	circuits.unlisten = listenBack(() => recover(circuits, 'online'), () => recover(circuits, 'visible'));
};

/** `close()`: no probe starts, the channel and the triggers go, a pending `waitForHealthy` wakes. */
export const close = (circuits: Circuits): void => {
	closeCircuits(circuits);
	for (const off of circuits.unlisten.splice(0)) {
		off();
	}

	circuits.channel?.close();
	circuits.channel = undefined;
};
