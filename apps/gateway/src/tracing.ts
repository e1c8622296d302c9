/**
 * OpenTelemetry, loaded before the gateway with `node --import ./dist/apps/gateway/src/tracing.js`:
 * instrumentation must patch http before Fastify, axios (the soap client's WSDL fetches) and
 * undici are loaded. Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. W3C traceparent reaches
 * upstream on both transports: the undici instrumentation covers the REST pool and the SOAP calls.
 */
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { flushBeforeExit } from './process-exit.js';

if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'interact-flow-gateway',
    traceExporter: new OTLPTraceExporter(),
    // Trace context only: the SDK's default adds W3C baggage, which would carry whatever a caller
    // puts in its baggage header on to Interact, a third party.
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes would drown the traces that matter.
        ignoreIncomingRequestHook: (request) => /^\/(health|metrics)(\/|$)/.test(request.url ?? ''),
      }),
      new UndiciInstrumentation(),
    ],
  });
  sdk.start();
  flushBeforeExit(() => sdk.shutdown());
}
