// The webhooks feature's public module: what the composition and the routing files use.
export { MIN_SECRET_LENGTH, WebhookSchema, webhooksSection, type WebhooksConfig, type WebhooksNeeds } from './config';
export { DeliveryFailed, WEBHOOK_QUEUE, WebhookDelivery, webhookJobId, type WebhookDeliveryOptions, type WebhookJob } from './delivery';
export { computeSignature, deliveryHeaders, signatureHeader, verifySignature } from './signature';
export { EVENT_ID_HEADER, EVENT_TYPE_HEADER, HOOK_HEADER, retrySchedule, SIGNATURE_HEADER, type Webhook } from './domain';
