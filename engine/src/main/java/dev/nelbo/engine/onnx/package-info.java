/**
 * ONNX Runtime plumbing: device selection with CPU fallback, sessions checked against the graph
 * contract, and pinned direct buffers so that scoring allocates nothing per record.
 */
package dev.nelbo.engine.onnx;
