package dev.nelbo.schemas.history;

import dev.nelbo.schemas.state.KeyedStore;

import java.util.function.BiConsumer;

/**
 * A read-only store that answers every lookup with one state given beforehand: a {@link HistoryTracker} over it
 * reads a record's history as another tracker saw it ({@link HistoryTracker#boundState()}) and writes nothing.
 * The shadow model reads the champion's per-key state this way, so it scores each event with the same history the
 * champion did, restored and replayed with the champion's store, when both models' definitions
 * {@link EntityHistory#sharesStateWith share their state}.
 */
public final class ReplayedState implements KeyedStore<byte[]> {

    private byte[] next;

    /** @param state the state the next lookup returns (null: a key without history) */
    public void set(final byte[] state) {
        next = state;
    }

    @Override
    public byte[] get(final String key) {
        return next;
    }

    @Override
    public void put(final String key, final byte[] value) {
        // the owner of the state writes it
    }

    @Override
    public void delete(final String key) {
        // the owner of the state expires it
    }

    @Override
    public long size() {
        return 0;
    }

    @Override
    public void forEach(final BiConsumer<String, byte[]> visitor) {
        // holds no entries of its own
    }
}
