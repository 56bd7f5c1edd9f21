/** The event log: the client's events (and this tab's calls), newest first. */
import { clockTime, h, patch } from '../dom.js';
import { logCap, model } from '../model.js';
import { counter, empty, panel } from './panel.js';

export const renderLog = () => {
	const { element, counters, body } = panel('Event log', `client.on(…) events and this tab's calls, newest first (last ${logCap}).`, 'panel-log');
	const update = (): void => {
		const newest = model.log[0]?.id ?? -1;
		// Every event counted; the list keeps the newest `logCap`, so it says how many it shows.
		patch(counters, `${model.events}/${model.log.length}`, () => [
			counter('events', model.events, 'log-events'),
			counter('shown', model.log.length, 'log-shown'),
		]);
		patch(body, `${newest}/${model.log.length}`, () => [model.log.length === 0
			? empty('Nothing yet. Make a call.')
			: h('ol', { class: 'log' }, ...model.log.map((line) => h('li', { class: line.tone, 'data-kind': line.kind },
				h('time', {}, clockTime(line.time)),
				h('span', { class: `kind k-${line.kind.split(':')[0]!}` }, line.kind),
				h('span', { class: 'text' }, line.text))))]);
	};

	return { element, update };
};
