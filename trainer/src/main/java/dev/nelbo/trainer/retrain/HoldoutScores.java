package dev.nelbo.trainer.retrain;

import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringModel;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.event.DecodeLimits;
import dev.nelbo.schemas.event.DecodedEvent;
import dev.nelbo.schemas.event.EventDecoder;
import dev.nelbo.schemas.history.HistoryTracker;
import dev.nelbo.trainer.pipeline.EngineScores;

import java.util.ArrayList;
import java.util.List;

/**
 * The held-back events scored by champion and challenger through the scoring engine, each with its
 * own encoder, keyed by event id exactly as the scorer scores them. Events either model cannot
 * encode are left out of both, so row {@code i} is the same event for both. For models with history features
 * each model's history is first built over the records before the held-back ones (the training records, which
 * for such models are the window's latest), so the held-back events are scored with their keys' history as the
 * scorer would have it.
 *
 * @param champion   champion negative ELBO per event, or null without a champion
 * @param challenger challenger negative ELBO per event
 * @param ids        the event id of each row
 * @param unusable   held-back events left out (unreadable or not encodable)
 */
public record HoldoutScores(double[] champion, double[] challenger, List<String> ids, int unusable) {

    /**
     * @param before     the records before the held-back ones, in order (they only build history)
     * @param held       held-back events
     * @param champion   champion bundle, or null when there is none (a first model)
     * @param challenger challenger bundle
     * @param options    engine options (samples)
     * @return the scores
     */
    public static HoldoutScores score(final List<byte[]> before, final List<WindowSample.Held> held,
                                      final ModelBundle champion, final ModelBundle challenger,
                                      final EngineOptions options) {
        final Encoded a = champion == null ? null : new Encoded(champion.encoder(), held.size());
        final Encoded b = new Encoded(challenger.encoder(), held.size());
        for (final byte[] value : before) {
            if (a != null) {
                a.buildHistory(value);
            }
            b.buildHistory(value);
        }
        final List<String> ids = new ArrayList<>(held.size());
        int unusable = 0;
        for (final WindowSample.Held h : held) {
            // a row either model refuses is overwritten by the next event
            if ((a == null || a.decode(h.value(), ids.size())) && b.decode(h.value(), ids.size())) {
                ids.add(h.id());
            } else {
                unusable++;
            }
        }
        final int rows = ids.size();
        final double[] champ = a == null ? null
                : EngineScores.score(ScoringModel.of(champion), options, a.x, a.mask, rows, ids::get).nelbo();
        final double[] chal = EngineScores.score(ScoringModel.of(challenger), options, b.x, b.mask, rows, ids::get).nelbo();
        return new HoldoutScores(champ, chal, List.copyOf(ids), unusable);
    }

    /** Rows decoded with one model's decoder, exactly as the scorer decodes them. */
    private static final class Encoded {
        private final EventDecoder decoder;
        private final DecodedEvent event;
        /** History over the records before the held-back events and these, in window order; or null. */
        private final HistoryTracker history;
        private final float[] x;
        private final float[] mask;
        private final float[] scratchX;
        private final float[] scratchMask;

        Encoded(final FeatureEncoder encoder, final int capacity) {
            this.decoder = new EventDecoder(encoder, DecodeLimits.defaults());
            this.event = decoder.newEvent();
            this.history = HistoryTracker.inMemory(encoder);
            this.x = new float[capacity * encoder.width()];
            this.mask = new float[capacity * encoder.width()];
            this.scratchX = new float[encoder.width()];
            this.scratchMask = new float[encoder.width()];
        }

        /** Adds a record before the held-back ones to its key's history (it is not scored). */
        void buildHistory(final byte[] value) {
            if (history != null) {
                decoder.decode(value, scratchX, scratchMask, 0, event, history, Long.MIN_VALUE);
            }
        }

        boolean decode(final byte[] value, final int row) {
            return decoder.decode(value, x, mask, row, event, history, Long.MIN_VALUE).ok();
        }
    }
}
