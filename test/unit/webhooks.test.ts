// Webhooks' pure parts and signature: which hooks want an event, the retry schedule, the signed
// payload (a known-answer vector computed with openssl), and verification's refusals.
import { EVENT_TYPES } from '../../src/events';
import { computeSignature, deliveryHeaders, signatureHeader, verifySignature } from '../../src/webhooks';
import { deliveryBody, givenUpAfterS, hooksFor, isLastAttempt, matchesPattern, parseSignature, retrySchedule, typesMatching, type Webhook } from '../../src/webhooks/domain';

function hook(id: string, events: string[], queues?: string[]): Webhook {
  const types = new Set(events.flatMap((p) => typesMatching(p, EVENT_TYPES)));
  return { id, url: 'http://127.0.0.1/h', events, types, secretEnv: 'S', maxAttempts: 8, backoffS: 2, timeoutS: 5, ...(queues ? { queues: new Set(queues) } : {}) };
}

describe('matching', () => {
  it('globs: "*" stands for any run of characters; a plain type matches itself only', () => {
    expect(typesMatching('callback.*', EVENT_TYPES)).toEqual(['callback.requested', 'callback.updated', 'callback.offered', 'callback.dialling', 'callback.connected', 'callback.retry-scheduled', 'callback.failed', 'callback.cancelled']);
    expect(typesMatching('*', EVENT_TYPES)).toEqual(EVENT_TYPES);
    expect(typesMatching('*.ended', EVENT_TYPES)).toEqual(['call.ended', 'ivr.ended', 'outbound.ended', 'monitor.ended']);
    expect(typesMatching('queue.ring-*', EVENT_TYPES)).toEqual(['queue.ring-no-answer', 'queue.ring-canceled', 'queue.ring-stopped']);
    expect(typesMatching('queue.entred', EVENT_TYPES)).toEqual([]);
    expect(matchesPattern('call.arrived', 'call.arrived')).toBe(true);
    // "." is literal, not any character.
    expect(matchesPattern('call.arrived', 'callXarrived')).toBe(false);
    expect(matchesPattern('call*', 'callback.failed')).toBe(true);
  });

  it('picks the hooks whose types and queues want the event', () => {
    const all = hook('all', ['*']);
    const queues = hook('queues', ['queue.*']);
    const sales = hook('sales', ['queue.*', 'callback.*'], ['sales']);
    const hooks = [all, queues, sales];
    const ids = (e: { type: string; queue?: unknown }) => hooksFor(e, hooks).map((h) => h.id);
    expect(ids({ type: 'queue.entered', queue: 'sales' })).toEqual(['all', 'queues', 'sales']);
    expect(ids({ type: 'queue.entered', queue: 'support' })).toEqual(['all', 'queues']);
    expect(ids({ type: 'callback.requested', queue: 'sales' })).toEqual(['all', 'sales']);
    // A queue filter leaves out events without a queue field.
    expect(ids({ type: 'call.arrived' })).toEqual(['all']);
    expect(hooksFor({ type: 'call.arrived' }, [])).toEqual([]);
  });
});

describe('retry schedule', () => {
  it('doubles the backoff for each retry (BullMQ exponential) and gives up after maxAttempts', () => {
    expect(retrySchedule(8, 2)).toEqual([2, 4, 8, 16, 32, 64, 128]);
    expect(givenUpAfterS(8, 2)).toBe(254);
    expect(retrySchedule(1, 2)).toEqual([]);
    expect([0, 6, 7].map((made) => isLastAttempt(made, 8))).toEqual([false, false, true]);
  });
});

describe('signature', () => {
  const secret = 'whsec_test_0123456789abcdef';
  const body = deliveryBody('1700000000000-0', 'crm', { v: 1, type: 'call.answered', at: 1700000000000, callId: 'c1' });

  it('matches a vector computed by hand with openssl', () => {
    // printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac 'whsec_test_0123456789abcdef' -hex
    expect(body).toBe('{"id":"1700000000000-0","hook":"crm","event":{"v":1,"type":"call.answered","at":1700000000000,"callId":"c1"}}');
    const v1 = '87ade0476fdc5519c2e0c0183d0c9b48057c32c380fe32933818131e920f6e88';
    expect(computeSignature(secret, 1700000000, body)).toBe(v1);
    expect(computeSignature(secret, 1700000000, Buffer.from(body))).toBe(v1);
    expect(signatureHeader(secret, body, 1700000000)).toBe(`t=1700000000,v1=${v1}`);
    expect(deliveryHeaders({ secret, rawBody: body, nowS: 1700000000, journalId: '1700000000000-0', eventType: 'call.answered', hookId: 'crm' })).toEqual({
      'Switchboard-Signature': `t=1700000000,v1=${v1}`,
      'Switchboard-Event-Id': '1700000000000-0',
      'Switchboard-Event-Type': 'call.answered',
      'Switchboard-Webhook': 'crm',
    });
  });

  it('verifies a good signature, within the tolerance either way', () => {
    const header = signatureHeader(secret, body, 1700000000);
    expect(verifySignature(secret, header, body, 1700000000)).toBe(true);
    expect(verifySignature(secret, header, Buffer.from(body), 1700000300)).toBe(true);
    expect(verifySignature(secret, header, body, 1699999700)).toBe(true);
  });

  it('rejects a wrong secret, a tampered body, an old or changed timestamp, and garbage', () => {
    const header = signatureHeader(secret, body, 1700000000);
    expect(verifySignature('another-secret-0123456789', header, body, 1700000000)).toBe(false);
    expect(verifySignature(secret, header, body.replace('c1', 'c2'), 1700000000)).toBe(false);
    expect(verifySignature(secret, header, body, 1700000301)).toBe(false);
    expect(verifySignature(secret, header, body, 1700000060, 30)).toBe(false);
    expect(verifySignature(secret, header.replace('t=1700000000', 't=1700000001'), body, 1700000000)).toBe(false);
    for (const bad of [undefined, '', 'v1=abc', 't=1700000000', `t=x,v1=${'0'.repeat(64)}`, `t=1700000000,v1=${'0'.repeat(63)}`]) {
      expect(verifySignature(secret, bad, body, 1700000000)).toBe(false);
    }
  });

  it('accepts any of several v1 (a secret being rotated) and skips unknown schemes', () => {
    const good = computeSignature(secret, 1700000000, body);
    expect(verifySignature(secret, `t=1700000000,v0=zz,v1=${'0'.repeat(64)},v1=${good}`, body, 1700000000)).toBe(true);
    expect(parseSignature(`t=5, v1=${good.toUpperCase()}`)).toEqual({ t: 5, v1: [good] });
  });
});
