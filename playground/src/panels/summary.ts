/** The strip under the controls: what the user got from this tab's calls, and what the server saw. */
import { h } from '../dom.js';
import { model } from '../model.js';
import { readSim } from '../sim.js';

const cell = (label: string, value: number, testid: string, tone: string) =>
	h('div', { class: `stat ${value > 0 ? tone : ''}` }, h('strong', { 'data-testid': testid }, value), h('span', {}, label));

export const renderSummary = () => {
	const element = h('section', { class: 'summary', 'aria-label': 'Summary' });
	const update = (): void => {
		const { calls } = model;
		const { counters } = readSim();
		element.replaceChildren(
			h('div', { class: 'stat-group' }, h('h3', {}, 'Reads', h('small', {}, 'this tab')),
				cell('fresh', calls.readsFresh, 'reads-fresh', 'good'),
				cell('stale', calls.readsStale, 'reads-stale', 'warn'),
				cell('failed', calls.readsFailed, 'reads-failed', 'bad')),
			h('div', { class: 'stat-group' }, h('h3', {}, 'Writes', h('small', {}, 'this tab')),
				cell('sent', calls.writesSent, 'writes-sent', 'good'),
				cell('queued', calls.writesQueued, 'writes-queued', 'info'),
				cell('failed', calls.writesFailed, 'writes-failed', 'bad')),
			h('div', { class: 'stat-group' }, h('h3', {}, 'Server', h('small', {}, 'all tabs')),
				cell('requests', counters.requests, 'server-requests', 'muted'),
				cell('applied', counters.applied, 'server-applied', 'good'),
				cell('duplicates', counters.duplicates, 'server-duplicates', 'warn')));
	};

	return { element, update };
};
