package dev.nelbo.trainer.report;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChartTest {

    private static BufferedImage render(final Chart chart) throws Exception {
        final BufferedImage image = ImageIO.read(new ByteArrayInputStream(chart.toPng()));
        assertEquals(900, image.getWidth());
        assertEquals(560, image.getHeight());
        return image;
    }

    /** Pixels of roughly this colour (the renderers antialias). */
    private static long pixels(final BufferedImage image, final int rgb) {
        long n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                final int p = image.getRGB(x, y);
                if (Math.abs(((p >> 16) & 0xff) - ((rgb >> 16) & 0xff)) < 16 && Math.abs(((p >> 8) & 0xff) - ((rgb >> 8) & 0xff)) < 16
                        && Math.abs((p & 0xff) - (rgb & 0xff)) < 16) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void a_histogram_with_its_threshold_marker_draws_bars_and_the_marker() throws Exception {
        final Chart empty = new Chart("scores", "score", "rows");
        final Chart chart = new Chart("scores", "score", "rows");
        for (int b = 0; b < 20; b++) {
            chart.bar(b, b + 1, 100 - (b - 10) * (b - 10));
        }
        chart.marker(15.5, "threshold 15.5");
        final BufferedImage image = render(chart);
        final long markerRed = pixels(image, 0xd62728);
        assertTrue(markerRed > 300, "a marker line as tall as the plot: " + markerRed);
        assertTrue(pixels(image, 0x1f77b4) > 20_000, "blue bars, apart from the red marker");
        assertEquals(0, pixels(render(empty), 0xd62728));
    }

    @Test
    void lines_in_a_fixed_range_and_category_bars_render() throws Exception {
        final BufferedImage roc = render(new Chart("ROC", "fpr", "tpr").range(0, 1, 0, 1.02)
                .line("model", new double[] {0, 0.1, 0.3, 1}, new double[] {0, 0.7, 0.9, 1})
                .line("chance", new double[] {0, 1}, new double[] {0, 1}));
        assertTrue(pixels(roc, 0xffffff) < 900L * 560 * 0.97, "something is drawn");
        render(new Chart("errors", "feature", "error").categoryBars(List.of("latency", "bytes", "region"),
                new double[] {0.8, 0.3, 0.1}));
        assertThrows(IllegalArgumentException.class, () -> new Chart("t", "x", "y").line("s", new double[2], new double[3]));
        assertThrows(IllegalArgumentException.class, () -> new Chart("t", "x", "y").categoryBars(List.of("a"), new double[2]));
    }
}
