/**
 * The playground: starts the simulated API (msw's Service Worker), then lays out the control bar,
 * the summary strip and the four panels, and keeps them live.
 */
import { client, settings } from './client.js';
import { h, startTicker } from './dom.js';
import { watchEvents } from './events.js';
import { renderControls } from './controls.js';
import { log, onModelChange, resetModel } from './model.js';
import { applyNetwork } from './network.js';
import { renderBreakers } from './panels/breaker.js';
import { renderCache } from './panels/cache.js';
import { renderLog } from './panels/log.js';
import { renderOutbox } from './panels/outbox.js';
import { renderSummary } from './panels/summary.js';
import { onSimChange, readSim, resetSim, type SimState } from './sim.js';
import { forgetWrites } from './writes.js';

const tab = crypto.randomUUID().slice(0, 4);
document.title = `steadfetch playground · tab ${tab}`;

const summary = renderSummary();
const breakers = renderBreakers();
const cache = renderCache();
const outbox = renderOutbox();
const events = renderLog();

const reset = h('button', {
	type: 'button', class: 'ghost', 'data-testid': 'reset', title: 'Wipe the stale cache, the outbox and the breakers (client.clear()) and the simulated server',
	onclick: async () => {
		await client.clear();
		resetSim();
		resetModel();
		forgetWrites();
		outbox.update();
	},
}, 'Reset everything');

/**
 * While a fault is on, the browser's console logs every request it fails (the page cannot silence
 * that): the page says why, so nobody takes them for a bug.
 */
const consoleNote = h('p', { class: 'notice', role: 'note', 'data-testid': 'console-note' },
	'While a fault is on, the browser\'s console logs each request it fails: ', h('code', {}, 'Failed to load resource: net::ERR_FAILED'),
	' for a network error (offline, origin down), "the server responded with a status of 503" (or 429, 422) for the others. These are the simulated faults (msw\'s Service Worker answers them), not bugs of the page; the event log below shows how steadfetch handled each one.');
const showConsoleNote = ({ online, faults }: SimState): void => {
	consoleNote.hidden = online && !faults.down && faults.errorRate === 0 && !faults.rateLimit && !faults.rejectWrites;
};

showConsoleNote(readSim());
onSimChange(showConsoleNote);

document.querySelector('#app')!.replaceChildren(
	h('header', { class: 'top' },
		h('div', { class: 'brand' },
			h('h1', {}, 'steadfetch ', h('span', {}, 'playground')),
			h('p', {}, 'A fetch client that keeps working when the network or an origin does not. Break things with the controls and watch it cope.')),
		h('div', { class: 'meta' },
			h('span', { class: 'tab', title: 'Every tab gets its own id; open a second one to see the shared breaker and the single outbox drainer' }, `tab ${tab}`),
			h('a', { href: location.href, target: '_blank', rel: 'noopener', class: 'ghost' }, 'Open another tab ↗'),
			reset)),
	renderControls(),
	consoleNote,
	summary.element,
	h('main', { class: 'grid' }, breakers.element, cache.element, outbox.element, events.element),
	h('footer', {}, h('code', {}, settings), ' · source: playground/src/client.ts'));

watchEvents(client);
for (const type of ['outbox:queued', 'outbox:sent', 'outbox:retry', 'outbox:dead'] as const) {
	client.on(type, () => outbox.update());
}

onModelChange(() => {
	summary.update();
	cache.update();
	events.update();
});
onSimChange((state) => {
	applyNetwork(state.online);
	summary.update();
	outbox.draw();
});
addEventListener('online', () => log('call', 'the browser is online: the outbox drains', 'good'));
addEventListener('offline', () => log('call', 'the browser is offline: reads answer from the stale cache, writes wait in the outbox', 'bad'));

setInterval(breakers.update, 250);
setInterval(outbox.update, 500);
startTicker();
summary.update();
cache.update();
events.update();
breakers.update();
outbox.update();
document.body.dataset['ready'] = 'true';
