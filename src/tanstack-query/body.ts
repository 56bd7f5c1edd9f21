/**
 * A response's body parsed as JSON, `undefined` when there is none (a 204 or 205, a HEAD, an empty
 * body): `response.json()` would throw `SyntaxError: Unexpected end of JSON input` for a write the
 * server applied. A body that is not JSON still throws.
 */
export const bodyOf = async (response: Response): Promise<unknown> => {
	const text = await response.text();
	return text === '' ? undefined : JSON.parse(text);
};
