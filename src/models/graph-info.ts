import type * as ort from 'onnxruntime-node';

/** A graph input as onnxruntime describes it (plain data, so it crosses threads). */
export interface GraphInput {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type: string;
  /** Empty when onnxruntime gives no shape; symbolic dimensions are strings. */
  readonly shape: readonly (number | string)[];
}

export interface GraphInfo {
  readonly inputs: readonly GraphInput[];
  readonly outputNames: readonly string[];
}

/** What a session says about its graph (an ort.InferenceSession, or its metadata sent from a worker). */
export interface SessionMetadata {
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputNames: readonly string[];
}

/** What onnxruntime says about a session's graph, as plain data. */
export function graphInfo(s: SessionMetadata): GraphInfo {
  return {
    inputs: s.inputMetadata.map((m) => ({
      name: m.name,
      isTensor: m.isTensor,
      type: m.isTensor ? m.type : 'non-tensor',
      shape: m.isTensor ? [...(m as ort.InferenceSession.TensorValueMetadata).shape] : [],
    })),
    outputNames: [...s.outputNames],
  };
}
