// The metrics feature's public module: Prometheus metrics for GET /metrics (docs/metrics.md).
export { Metrics, type MetricsOptions } from './registry';
export { SERVING_STATUSES, summariseQueues, type MetricsSources, type QueueSnapshot, type QueueSummaryInput, type ServingStatus } from './sources';
export { RING_BUCKETS, TALK_BUCKETS, WAIT_BUCKETS } from './event-metrics';
