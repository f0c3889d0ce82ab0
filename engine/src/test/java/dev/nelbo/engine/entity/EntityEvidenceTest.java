package dev.nelbo.engine.entity;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EntityEvidenceTest {

    private static final double RATE = 1e-4;
    /** The per-event detector a calibrated threshold gives: an event alone is anomalous below this tail probability. */
    private static final double PER_EVENT_TAIL = 1e-3;

    @Test
    void the_threshold_for_a_rate_holds_that_rate_on_fresh_normal_data() {
        final double h = EntityEvidence.thresholdFor(EntityEvidence.DEFAULT_DRIFT, RATE);
        assertEquals(h, EntityEvidence.thresholdFor(EntityEvidence.DEFAULT_DRIFT, RATE), "deterministic");
        assertTrue(h > EntityEvidence.thresholdFor(EntityEvidence.DEFAULT_DRIFT, 1e-3), "a lower rate needs a higher threshold");
        final EntityEvidence test = new EntityEvidence(EntityEvidence.DEFAULT_DRIFT, h);
        // another seed than the calibration's: uniform tail probabilities, as normal events have
        final SplittableRandom random = new SplittableRandom(99);
        final double[] surprises = new double[4_000_000];
        for (int i = 0; i < surprises.length; i++) {
            surprises[i] = EntityEvidence.surprise(1 - random.nextDouble());
        }
        final double rate = (double) test.alarms(surprises) / surprises.length;
        assertTrue(rate > RATE / 2 && rate < RATE * 1.5, "realised " + rate + " for a target of " + RATE);
    }

    @Test
    void one_extreme_event_is_not_an_entity_anomaly_and_normal_events_end_one() {
        final EntityEvidence test = new EntityEvidence(2, 8);
        final double one = test.next(0, EntityEvidence.surprise(1e-30));
        assertFalse(test.anomalous(one), "one event adds at most half the threshold beyond the drift: " + one);
        final double two = test.next(one, EntityEvidence.surprise(1e-30));
        assertTrue(test.anomalous(two), "two extreme events in a row are");
        double s = two;
        for (int i = 0; i < 100; i++) {
            s = test.next(s, EntityEvidence.surprise(1e-30));
        }
        assertEquals(9, s, 1e-12, "the statistic stops at threshold + drift / 2, however long the anomaly");
        assertFalse(test.anomalous(test.next(s, EntityEvidence.surprise(0.5))), "one normal event ends it");
        assertEquals(0, EntityEvidence.surprise(Double.NaN), "an uncalibrated model gives no evidence");
        assertThrows(IllegalArgumentException.class, () -> new EntityEvidence(0, 8));
        assertThrows(IllegalArgumentException.class, () -> EntityEvidence.thresholdFor(2, 0));
    }

    /**
     * A univariate metric per entity, each entity with its own mean and sd, and a per-event tail probability from the
     * exact model of the metric (two-sided normal tail). Level shifts of 2-3 of the entity's own sd and slow drifts hide
     * from a per-event threshold at 1e-3; the entity test finds them, and stays within 3x of its rate on clean entities.
     */
    @Test
    void shifts_and_drifts_the_per_event_threshold_misses_are_found_and_clean_entities_stay_near_the_rate() {
        final EntityEvidence test = new EntityEvidence(EntityEvidence.DEFAULT_DRIFT,
                EntityEvidence.thresholdFor(EntityEvidence.DEFAULT_DRIFT, RATE));
        final SplittableRandom random = new SplittableRandom(7);
        final int events = 400;
        // clean entities
        long cleanAlarms = 0;
        long cleanEvents = 0;
        for (int key = 0; key < 3000; key++) {
            cleanAlarms += test.alarms(entity(random, events, new double[events]));
            cleanEvents += events;
        }
        final double cleanRate = (double) cleanAlarms / cleanEvents;
        assertTrue(cleanRate < 3 * RATE && cleanRate > RATE / 3, "clean entities: " + cleanRate + " alarms per event");

        int shiftsFound = 0;
        long shiftedEvents = 0;
        long shiftedEventsFlagged = 0;
        int driftsFound = 0;
        int spikeOnlyAlarms = 0;
        final int keys = 200;
        for (int key = 0; key < keys; key++) {
            // a level shift of 2-3 sd over the last 30 events
            final double[] shift = new double[events];
            final double size = 2 + random.nextDouble();
            for (int i = events - 30; i < events; i++) {
                shift[i] = size;
            }
            final double[] shifted = entity(random, events, shift);
            shiftsFound += alarmsIn(test, shifted, events - 30) > 0 ? 1 : 0;
            for (int i = events - 30; i < events; i++) {
                shiftedEvents++;
                shiftedEventsFlagged += Math.exp(-shifted[i]) < PER_EVENT_TAIL ? 1 : 0;
            }
            // a drift from 0 to 3 sd over the last 100 events
            final double[] drift = new double[events];
            for (int i = events - 100; i < events; i++) {
                drift[i] = 3.0 * (i - (events - 100)) / 100;
            }
            driftsFound += alarmsIn(test, entity(random, events, drift), events - 100) > 0 ? 1 : 0;
            // isolated spikes of 6 sd, 50 events apart
            final double[] spikes = new double[events];
            for (int i = 25; i < events; i += 50) {
                spikes[i] = 6;
            }
            spikeOnlyAlarms += test.alarms(entity(random, events, spikes)) > 0 ? 1 : 0;
        }
        final double perEventRecall = (double) shiftedEventsFlagged / shiftedEvents;
        System.out.printf(java.util.Locale.ROOT, "entity evidence, synthetic: clean %.2e alarms/event (target %.0e);"
                        + " shifts found %d/%d (per-event threshold flags %.3f of shifted events); drifts %d/%d;"
                        + " spike-only keys alarmed %d/%d%n", cleanRate, RATE, shiftsFound, keys, perEventRecall,
                driftsFound, keys, spikeOnlyAlarms, keys);
        assertTrue(perEventRecall < 0.25, "the per-event threshold flags " + perEventRecall + " of the shifted events");
        assertTrue(shiftsFound >= 0.95 * keys, "the entity test finds " + shiftsFound + " of " + keys + " shifts");
        assertTrue(driftsFound >= 0.9 * keys, "the entity test finds " + driftsFound + " of " + keys + " drifts");
        // a spike alone never crosses (see above), but leaves half a threshold that a surprising event soon after can
        // complete: eight spikes per entity raise some alarms, far fewer than shifts
        assertTrue(spikeOnlyAlarms <= 0.25 * keys, "isolated spikes raised " + spikeOnlyAlarms + " entity alarms");
    }

    /** @return the entity's surprises: a standard score per event (its own mean and sd removed), plus the offset */
    private static double[] entity(final SplittableRandom random, final int events, final double[] offsetSd) {
        final double[] surprises = new double[events];
        for (int i = 0; i < events; i++) {
            final double z = gaussian(random) + offsetSd[i];
            surprises[i] = EntityEvidence.surprise(erfc(Math.abs(z) / Math.sqrt(2)));
        }
        return surprises;
    }

    private static long alarmsIn(final EntityEvidence test, final double[] surprises, final int from) {
        double s = 0;
        for (int i = 0; i < surprises.length; i++) {
            s = test.next(s, surprises[i]);
            if (i >= from && test.anomalous(s)) {
                return 1;
            }
        }
        return 0;
    }

    private static double gaussian(final SplittableRandom random) {
        // Box-Muller: two uniforms, one normal
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    /** The complementary error function with a relative error below 1.2e-7 (Numerical Recipes' erfcc). */
    private static double erfc(final double x) {
        final double t = 1 / (1 + 0.5 * Math.abs(x));
        final double r = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223
                + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
