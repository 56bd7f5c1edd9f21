// Start bench/lib/origin.mjs in a child process and drive it over IPC.
import { fork } from 'node:child_process';
import { once } from 'node:events';

/**
 * @param {{ bodyBytes?: number, staticDir?: string }} options
 * @returns {Promise<{ url: string, setMode(mode: 'up' | 'hang' | 'refuse' | number): Promise<void>, stats(): Promise<Record<string, { received: number, distinctKeys: number }>>, reset(): Promise<void>, close(): Promise<void> }>}
 */
export const startOrigin = async ({ bodyBytes = 256, staticDir } = {}) => {
	const child = fork(new URL('origin.mjs', import.meta.url), [], {
		env: { ...process.env, ORIGIN_BODY_BYTES: String(bodyBytes), ...(staticDir ? { ORIGIN_STATIC: staticDir } : {}) },
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
		execArgv: [],
	});
	const [ready] = await once(child, 'message');
	const ask = async (message, key) => {
		const reply = new Promise((resolve) => {
			const onMessage = (answer) => {
				if (key in answer) {
					child.off('message', onMessage);
					resolve(answer[key]);
				}
			};

			child.on('message', onMessage);
		});
		child.send(message);
		return reply;
	};

	return {
		url: `http://127.0.0.1:${ready.port}`,
		async setMode(mode) {
			await ask({ mode }, 'ok');
		},
		async stats() {
			return ask({ stats: true }, 'stats');
		},
		async reset() {
			await ask({ reset: true }, 'ok');
		},
		async close() {
			if (child.exitCode === null) {
				const exited = once(child, 'exit');
				child.disconnect();
				await exited;
			}
		},
	};
};
