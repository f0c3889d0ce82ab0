package dev.nelbo.trainer.retrain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nelbo.engine.EngineOptions;
import dev.nelbo.engine.ScoringModel;
import dev.nelbo.schemas.bundle.ModelBundle;
import dev.nelbo.schemas.encoding.EncodingException;
import dev.nelbo.schemas.encoding.FeatureEncoder;
import dev.nelbo.schemas.encoding.JsonRecordSource;
import dev.nelbo.schemas.event.EventEnvelope;
import dev.nelbo.trainer.pipeline.EngineScores;

import java.util.ArrayList;
import java.util.List;

/**
 * The held-back events scored by champion and challenger through the scoring engine, each with its
 * own encoder, keyed by event id exactly as the scorer scores them. Events either model cannot
 * encode are left out of both, so row {@code i} is the same event for both.
 *
 * @param champion   champion negative ELBO per event
 * @param challenger challenger negative ELBO per event
 * @param unusable   held-back events left out (unreadable or not encodable)
 */
public record HoldoutScores(double[] champion, double[] challenger, int unusable) {

    /**
     * @param held       held-back events
     * @param champion   champion bundle
     * @param challenger challenger bundle
     * @param options    engine options (samples)
     * @return the scores
     */
    public static HoldoutScores score(final List<WindowSample.Held> held, final ModelBundle champion,
                                      final ModelBundle challenger, final EngineOptions options) {
        final Encoded a = new Encoded(champion.encoder(), held.size());
        final Encoded b = new Encoded(challenger.encoder(), held.size());
        final List<String> ids = new ArrayList<>(held.size());
        int unusable = 0;
        for (final WindowSample.Held h : held) {
            try {
                // a row either model refuses is overwritten by the next event
                final JsonNode event = EventEnvelope.parse(h.value());
                a.encode(event, ids.size());
                b.encode(event, ids.size());
                ids.add(h.id());
            } catch (final EncodingException e) {
                unusable++;
            }
        }
        final int rows = ids.size();
        final double[] champ = EngineScores.score(ScoringModel.of(champion), options, a.x, a.mask, rows, ids::get).nelbo();
        final double[] chal = EngineScores.score(ScoringModel.of(challenger), options, b.x, b.mask, rows, ids::get).nelbo();
        return new HoldoutScores(champ, chal, unusable);
    }

    /** Rows encoded with one model's encoder. */
    private static final class Encoded {
        private final FeatureEncoder encoder;
        private final JsonRecordSource source;
        private final float[] x;
        private final float[] mask;

        Encoded(final FeatureEncoder encoder, final int capacity) {
            this.encoder = encoder;
            this.source = new JsonRecordSource(encoder.spec());
            this.x = new float[capacity * encoder.width()];
            this.mask = new float[capacity * encoder.width()];
        }

        void encode(final JsonNode event, final int row) {
            encoder.encode(source.reset(event), x, mask, row);
        }
    }
}
