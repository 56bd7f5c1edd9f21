import { h } from '../dom.js';

/** A card with a title, a line saying what it shows, a slot for counters, and a body. */
export const panel = (title: string, about: string, testid: string) => {
	const counters = h('div', { class: 'counters' });
	const body = h('div', { class: 'panel-body' });
	const element = h('section', { class: `panel ${testid}`, 'data-testid': testid, 'aria-label': title },
		h('header', {}, h('div', {}, h('h2', {}, title), h('p', { class: 'about' }, about)), counters),
		body);
	return { element, counters, body };
};

/** A big number with a label under it. */
export const counter = (label: string, value: number | string, testid: string, tone = ''): HTMLElement =>
	h('div', { class: `counter ${tone}` }, h('strong', { 'data-testid': testid }, value), h('span', {}, label));

export const empty = (text: string): HTMLElement => h('p', { class: 'empty' }, text);
