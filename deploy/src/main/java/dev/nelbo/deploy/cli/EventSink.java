package dev.nelbo.deploy.cli;

import dev.nelbo.deploy.generator.LabelledEvent;

/** Where generated events (and their labels) go. */
interface EventSink extends AutoCloseable {

    /**
     * @param event the next event
     */
    void accept(LabelledEvent event);

    /** @return a short description for progress and summary lines */
    String describe();

    @Override
    void close();
}
