/**
 * The negative ELBO: closed-form KL, per-likelihood reconstruction terms, L-sample and
 * importance-weighted estimates, per-feature contributions. Plain arrays in and out, no ONNX Runtime.
 */
package dev.nelbo.engine.elbo;
