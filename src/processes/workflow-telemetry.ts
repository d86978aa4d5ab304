/**
 * A workflow step as a span: `klevdb.workflow.step` around recording an
 * input (child `klevdb.workflow.record`: load, decide, append) and carrying
 * out its outputs (child `klevdb.workflow.deliver`, under which the command
 * handlers' own spans nest). No-op without the OpenTelemetry API or SDK.
 */
import { ATTR, consumer, eventAttributes, startTrace, type Trace } from '../telemetry/index.js';

export const WORKFLOW_SPAN = {
  step: 'klevdb.workflow.step',
  record: 'klevdb.workflow.record',
  deliver: 'klevdb.workflow.deliver',
} as const;

interface StepResult {
  status: string;
  outputs: readonly unknown[];
  /** decide's error, when it threw. */
  error?: unknown;
}

/** Runs `work` as the step of input `inputId` (the event `input`) of instance `workflowId`. */
export async function traceStep<T extends StepResult>(
  workflow: string,
  workflowId: string,
  inputId: string,
  input: unknown,
  work: (trace: Trace) => Promise<T>,
): Promise<T> {
  const trace = startTrace(WORKFLOW_SPAN.step, consumer('workflow', workflow).attributes);
  if (trace.recording)
    trace.set({ ...eventAttributes(input), [ATTR.workflowId]: workflowId, [ATTR.workflowInputId]: inputId });
  let result: T;
  try {
    result = await trace.run(() => work(trace));
  } catch (err) {
    trace.end(err);
    throw err;
  }
  trace.set({ [ATTR.workflowOutcome]: result.status, [ATTR.workflowOutputs]: result.outputs.length });
  trace.end(result.status === 'failed' ? (result.error ?? new Error('decide threw')) : undefined);
  return result;
}
