/** A `parseJson` that notes the request it is given (`method url x-h`) for each body it parses (`seen`). */
export const noting = () => {
	const seen: string[] = [];
	const parseJson = (text: string, { request }: { request: Request }): unknown => {
		seen.push(`${request.method} ${request.url} ${request.headers.get('x-h')}`);
		return JSON.parse(text);
	};
	return { seen, parseJson };
};
