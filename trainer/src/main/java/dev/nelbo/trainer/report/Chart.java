package dev.nelbo.trainer.report;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small PNG chart drawn with java.awt (headless): line series, bars and vertical markers on
 * linear axes. Enough for loss curves, score histograms, per-feature errors and ROC/PR curves
 * without a plotting dependency.
 */
public final class Chart {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 560;
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
            new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b)};

    private record Series(String name, double[] x, double[] y) {
    }

    private record Bar(double from, double to, double height) {
    }

    private record Marker(double x, String label) {
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<Bar> bars = new ArrayList<>();
    private final List<String> barLabels = new ArrayList<>();
    private final List<Marker> markers = new ArrayList<>();
    private double[] fixedRange;

    /**
     * @param title  chart title
     * @param xLabel x-axis label
     * @param yLabel y-axis label
     */
    public Chart(final String title, final String xLabel, final String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /** Adds a line series; returns this chart. */
    public Chart line(final String name, final double[] x, final double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series '" + name + "' has " + x.length + " x and " + y.length + " y values");
        }
        series.add(new Series(name, x.clone(), y.clone()));
        return this;
    }

    /** Adds a bar spanning {@code [from, to)} of the given height; returns this chart. */
    public Chart bar(final double from, final double to, final double height) {
        bars.add(new Bar(from, to, height));
        return this;
    }

    /** Adds one bar per category, labelled on the x axis; returns this chart. */
    public Chart categoryBars(final List<String> labels, final double[] heights) {
        for (int i = 0; i < heights.length; i++) {
            bars.add(new Bar(i + 0.1, i + 0.9, heights[i]));
        }
        barLabels.addAll(labels);
        return this;
    }

    /** Adds a vertical marker line with a label; returns this chart. */
    public Chart marker(final double x, final String label) {
        markers.add(new Marker(x, label));
        return this;
    }

    /** Fixes the axis ranges (e.g. [0,1] for ROC curves); returns this chart. */
    public Chart range(final double xMin, final double xMax, final double yMin, final double yMax) {
        fixedRange = new double[] {xMin, xMax, yMin, yMax};
        return this;
    }

    /**
     * Renders the chart.
     *
     * @return PNG bytes
     */
    public byte[] toPng() {
        final BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = image.createGraphics();
        try {
            draw(g);
        } finally {
            g.dispose();
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode chart '" + title + "' as PNG", e);
        }
        return out.toByteArray();
    }

    private void draw(final Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        final double[] r = fixedRange != null ? fixedRange : dataRange();
        final Axes axes = new Axes(r[0], r[1], r[2], r[3]);

        g.setColor(new Color(0x999999));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        final FontMetrics fm = g.getFontMetrics();
        for (int i = 0; i <= 5; i++) {
            final double xv = r[0] + (r[1] - r[0]) * i / 5;
            final double yv = r[2] + (r[3] - r[2]) * i / 5;
            final int px = axes.px(xv);
            final int py = axes.py(yv);
            g.setColor(new Color(0xeeeeee));
            g.drawLine(px, TOP, px, HEIGHT - BOTTOM);
            g.drawLine(LEFT, py, WIDTH - RIGHT, py);
            g.setColor(Color.DARK_GRAY);
            if (barLabels.isEmpty()) {
                final String xs = format(xv);
                g.drawString(xs, px - fm.stringWidth(xs) / 2, HEIGHT - BOTTOM + 18);
            }
            final String ys = format(yv);
            g.drawString(ys, LEFT - 8 - fm.stringWidth(ys), py + 4);
        }
        for (int i = 0; i < barLabels.size(); i++) {
            final String label = barLabels.get(i);
            final int px = axes.px(i + 0.5);
            g.drawString(label, px - fm.stringWidth(label) / 2, HEIGHT - BOTTOM + 18);
        }
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);

        g.setColor(new Color(0x1f77b4));
        for (Bar bar : bars) {
            final int x0 = axes.px(bar.from);
            final int x1 = axes.px(bar.to);
            final int y0 = axes.py(Math.max(r[2], 0));
            final int y1 = axes.py(bar.height);
            g.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.max(1, Math.abs(x1 - x0)), Math.abs(y1 - y0));
        }
        g.setStroke(new BasicStroke(2f));
        for (int s = 0; s < series.size(); s++) {
            final Series line = series.get(s);
            g.setColor(PALETTE[s % PALETTE.length]);
            for (int i = 1; i < line.x.length; i++) {
                g.drawLine(axes.px(line.x[i - 1]), axes.py(line.y[i - 1]), axes.px(line.x[i]), axes.py(line.y[i]));
            }
            g.fillRect(WIDTH - RIGHT - 210, TOP + 12 + 18 * s, 14, 4);
            g.drawString(line.name, WIDTH - RIGHT - 190, TOP + 18 + 18 * s);
        }
        g.setColor(new Color(0xd62728));
        g.setStroke(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        for (Marker marker : markers) {
            final int px = axes.px(marker.x);
            g.drawLine(px, TOP, px, HEIGHT - BOTTOM);
            g.drawString(marker.label, Math.min(px + 4, WIDTH - RIGHT - fm.stringWidth(marker.label)), TOP + 14);
        }

        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, LEFT, TOP - 18);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString(xLabel, LEFT + (WIDTH - LEFT - RIGHT) / 2 - g.getFontMetrics().stringWidth(xLabel) / 2, HEIGHT - 18);
        final Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString(yLabel, -(TOP + (HEIGHT - TOP - BOTTOM) / 2 + rotated.getFontMetrics().stringWidth(yLabel) / 2), 20);
        rotated.dispose();
    }

    private double[] dataRange() {
        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x.length; i++) {
                if (Double.isFinite(s.x[i]) && Double.isFinite(s.y[i])) {
                    xMin = Math.min(xMin, s.x[i]);
                    xMax = Math.max(xMax, s.x[i]);
                    yMin = Math.min(yMin, s.y[i]);
                    yMax = Math.max(yMax, s.y[i]);
                }
            }
        }
        for (Bar b : bars) {
            xMin = Math.min(xMin, b.from);
            xMax = Math.max(xMax, b.to);
            yMin = Math.min(yMin, Math.min(0, b.height));
            yMax = Math.max(yMax, b.height);
        }
        if (!barLabels.isEmpty()) {
            xMin = 0;
            xMax = barLabels.size();
        }
        for (Marker m : markers) {
            xMin = Math.min(xMin, m.x);
            xMax = Math.max(xMax, m.x);
        }
        if (!(xMin < xMax)) {
            xMin = Double.isFinite(xMin) ? xMin - 1 : 0;
            xMax = xMin + 2;
        }
        if (!(yMin < yMax)) {
            yMin = Double.isFinite(yMin) ? yMin - 1 : 0;
            yMax = yMin + 2;
        }
        final double pad = (yMax - yMin) * 0.05;
        return new double[] {xMin, xMax, yMin - (yMin == 0 ? 0 : pad), yMax + pad};
    }

    private static String format(final double v) {
        final double a = Math.abs(v);
        if (a != 0 && (a >= 1e5 || a < 1e-2)) {
            return String.format(Locale.ROOT, "%.1e", v);
        }
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : "%.2f", v);
    }

    private record Axes(double xMin, double xMax, double yMin, double yMax) {
        int px(final double x) {
            return (int) Math.round(LEFT + (x - xMin) / (xMax - xMin) * (WIDTH - LEFT - RIGHT));
        }

        int py(final double y) {
            final double clamped = Math.max(yMin, Math.min(yMax, y));
            return (int) Math.round(HEIGHT - BOTTOM - (clamped - yMin) / (yMax - yMin) * (HEIGHT - TOP - BOTTOM));
        }
    }
}
