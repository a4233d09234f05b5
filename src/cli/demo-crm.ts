// The demo's stand-in for a customer's CRM: GET /customers?account=<digits> answers
// {"customer": {...}} from config/demo/customers.json, or 404. Loopback only.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { z } from 'zod';

const Customers = z.record(z.string().regex(/^\d+$/), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])));

export const DEMO_CRM_PORT = 8081;

export function startDemoCrm(file: string, port = DEMO_CRM_PORT): Promise<Server> {
  const customers = Customers.parse(JSON.parse(readFileSync(file, 'utf8')));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const account = url.searchParams.get('account') ?? '';
    const customer = url.pathname === '/customers' ? customers[account] : undefined;
    res.setHeader('Content-Type', 'application/json');
    if (!customer) {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: 'no such customer' }));
      return;
    }
    res.end(JSON.stringify({ customer: { account, ...customer } }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
