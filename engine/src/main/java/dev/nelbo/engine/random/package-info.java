/**
 * Counter-based standard normal numbers: a record's reparameterisation noise is a pure function of
 * (record id, model version, index), implemented here so that it never changes with the JDK.
 */
package dev.nelbo.engine.random;
