/** Tail probability of a score under a model's calibration (empirical quantiles plus a GPD tail). */
package dev.nelbo.engine.calibration;
