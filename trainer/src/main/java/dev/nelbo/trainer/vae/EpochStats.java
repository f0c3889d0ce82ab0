package dev.nelbo.trainer.vae;

/**
 * Figures of one finished epoch, for the progress line, the history and the loss-curve plot.
 *
 * @param epoch          zero-based epoch
 * @param maxEpochs      configured maximum number of epochs
 * @param beta           KL weight at the end of the epoch
 * @param trainLoss      mean per-row training loss (recon + beta * KL) over the epoch
 * @param trainRecon     mean per-row reconstruction NLL over the epoch
 * @param trainKl        mean per-row KL over the epoch
 * @param valNelbo       mean per-row negative ELBO (beta = 1) on the validation rows
 * @param valRecon       mean per-row reconstruction NLL on the validation rows
 * @param valKl          mean per-row KL on the validation rows
 * @param seconds        wall time of the epoch, validation included
 * @param etaSeconds     estimated time for the remaining epochs (an upper bound: early stopping may end sooner)
 * @param improved       whether this epoch set a new best validation negative ELBO
 */
public record EpochStats(int epoch, int maxEpochs, float beta, double trainLoss, double trainRecon, double trainKl,
                         double valNelbo, double valRecon, double valKl, double seconds, double etaSeconds,
                         boolean improved) {

    /** @return a one-line progress summary */
    public String progressLine() {
        final int done = epoch + 1;
        final int barWidth = 20;
        final int filled = (int) Math.round(barWidth * (double) done / maxEpochs);
        return String.format(java.util.Locale.ROOT,
                "epoch %3d/%d [%s%s] loss %.4f (recon %.4f, kl %.4f, beta %.2f) | val nelbo %.4f%s | %.2fs | eta %s",
                done, maxEpochs, "#".repeat(filled), ".".repeat(barWidth - filled), trainLoss, trainRecon, trainKl,
                beta, valNelbo, improved ? " *" : "  ", seconds, formatEta(etaSeconds));
    }

    private static String formatEta(final double seconds) {
        final long s = Math.round(seconds);
        return s >= 60 ? (s / 60) + "m" + String.format(java.util.Locale.ROOT, "%02d", s % 60) + "s" : s + "s";
    }
}
