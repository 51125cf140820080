// Prometheus metrics of this instance, in a registry of its own (several apps can share one process in tests).
import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly socketsConnected = new Gauge({
    name: 'realtime_sockets_connected',
    help: 'Sockets connected to this instance',
    registers: [this.registry],
  });

  readonly eventsIn = new Counter({
    name: 'realtime_events_in_total',
    help: 'Client-to-server events received, by event name',
    labelNames: ['event'],
    registers: [this.registry],
  });

  readonly eventsOut = new Counter({
    name: 'realtime_events_out_total',
    help: 'Server-to-client events published by this instance, by event name',
    labelNames: ['event'],
    registers: [this.registry],
  });

  readonly orderGapsSkipped = new Counter({
    name: 'realtime_order_gaps_skipped_total',
    help: 'Ordered events never seen by this instance, skipped after the reorder wait (their successors went out)',
    registers: [this.registry],
  });

  readonly deliveryLag = new Histogram({
    name: 'realtime_delivery_lag_seconds',
    help: 'From publish (on any instance) to delivery to this instance’s sockets, by channel kind',
    labelNames: ['kind'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly reorderHold = new Histogram({
    name: 'realtime_reorder_hold_seconds',
    help: 'How long ordered events that arrived ahead of a predecessor were held before delivery',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
    registers: [this.registry],
  });

  readonly adapterPublishFailures = new Counter({
    name: 'realtime_adapter_publish_failures_total',
    help: 'Events or requests the Socket.IO Redis adapter could not publish to the other instances (Redis down)',
    registers: [this.registry],
  });

  readonly adapterSubscriptionFailures = new Counter({
    name: 'realtime_adapter_subscription_failures_total',
    help: 'Channels the Socket.IO Redis adapter could not subscribe or unsubscribe (Redis down; subscribed again once back)',
    registers: [this.registry],
  });

  readonly linkRecoveryCloses = new Counter({
    name: 'realtime_link_recovery_closes_total',
    help: 'Sockets closed after a cut between the instances, so that their clients reconnect and catch up',
    registers: [this.registry],
  });

  readonly ackLatency = new Histogram({
    name: 'realtime_ack_latency_seconds',
    help: 'Time from receiving a client event to answering its acknowledgement',
    labelNames: ['event', 'ok'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'REST request durations, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
