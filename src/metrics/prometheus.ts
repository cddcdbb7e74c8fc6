/**
 * What `laminar serve` and `laminar watch` share for `/metrics`: the process series and the render.
 * The series themselves are prom-client's (issue #16), each owner on its own `Registry`: the global
 * default registry would refuse a second engine in one process ("already been registered"), and
 * the tests start several.
 */
import { collectDefaultMetrics, Registry } from "prom-client";

let processRegistry: Registry | undefined;

/**
 * prom-client's default series (`process_*`, `nodejs_*`) on one registry per process, made on first
 * use. Not one per engine: each `collectDefaultMetrics` call starts an event-loop-delay monitor and a
 * GC observer that nothing stops, and the process is one process whatever the number of engines.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The `Content-Type` of {@link renderMetrics}' text (the Prometheus text format 0.0.4). */
export const METRICS_CONTENT_TYPE: string = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * The exposition text of `own` followed by the process series; gauges with a `collect()` read their
 * state now. prom-client escapes label values and help texts.
 */
export function renderMetrics(own: Registry): Promise<string> {
  return Registry.merge([own, processMetrics()]).metrics();
}
