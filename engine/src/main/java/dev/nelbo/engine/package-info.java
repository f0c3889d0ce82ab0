/**
 * The one implementation of scoring: per-record negative ELBO of a nelbo model with ONNX Runtime.
 *
 * <p>Entry points: {@link dev.nelbo.engine.ScoringEngine#open(dev.nelbo.schemas.bundle.ModelBundle, EngineOptions)}
 * (or {@link dev.nelbo.engine.ScoringModel} for graphs not yet in a calibrated bundle), then per batch
 * {@link dev.nelbo.engine.ScoringBatch} in, {@link dev.nelbo.engine.ScoringResults} out. The maths
 * lives in {@code elbo} ({@link dev.nelbo.engine.elbo.ElboEstimator}, {@link dev.nelbo.engine.elbo.Elbo}),
 * the reproducible sampling noise in {@code random}, the score's tail probability in
 * {@code calibration}, and everything that touches ONNX Runtime in {@code onnx}.
 */
package dev.nelbo.engine;
