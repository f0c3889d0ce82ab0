/**
 * Evidence that accumulates per entity: a one-sided CUSUM over each event's surprise ({@code -ln} of its calibrated
 * tail probability), the entity-level test the scorer runs per key and the trainer calibrates.
 */
package dev.nelbo.engine.entity;
