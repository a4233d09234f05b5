// The CLI's way to the running service's API: loopback, the port of SWITCHBOARD_HTTP_PORT, the
// token of SWITCHBOARD_API_TOKEN. Prints the answer as JSON, or the error's reason.

/** Calls the API; returns the exit code (0 ok, 1 refused or unreachable, 2 no token). */
export async function callApi(method: string, apiPath: string, body?: unknown): Promise<number> {
  const port = process.env.SWITCHBOARD_HTTP_PORT ?? '8080';
  const token = process.env.SWITCHBOARD_API_TOKEN;
  if (!token) {
    process.stderr.write('switchboard: set SWITCHBOARD_API_TOKEN to an API key (docs/api.md)\n');
    return 2;
  }
  const url = `http://127.0.0.1:${port}${apiPath}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    process.stderr.write(`switchboard: cannot reach the service at ${url}: ${(err as Error).message}\n`);
    return 1;
  }
  // Errors are problem details (docs/api.md).
  const answer = (await res.json().catch(() => ({}))) as { detail?: string };
  if (!res.ok) {
    process.stderr.write(`switchboard: ${res.status}: ${answer.detail ?? 'request failed'}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  return 0;
}
