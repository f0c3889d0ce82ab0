package dev.nelbo.trainer.report;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A PNG chart of the training and evaluation reports, drawn by JFreeChart (headless): line series, bars and
 * vertical markers on linear axes, or one bar per category. Loss curves, score histograms, per-feature errors and
 * ROC/PR curves are built with it.
 */
public final class Chart {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 560;
    private static final Color MARKER = new Color(0xd62728);
    /** Bars in blue, apart from the red of a marker such as the threshold. */
    private static final Color BAR = new Color(0x1f77b4);

    private record Marker(double x, String label) {
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final XYSeriesCollection lines = new XYSeriesCollection();
    private final XYIntervalSeries bars = new XYIntervalSeries("bars");
    private final DefaultCategoryDataset categories = new DefaultCategoryDataset();
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
        // not sorted by x: a ROC or PR curve is drawn in the order of its points
        final XYSeries s = new XYSeries(name, false, true);
        for (int i = 0; i < x.length; i++) {
            s.add(x[i], y[i]);
        }
        lines.addSeries(s);
        return this;
    }

    /** Adds a bar spanning {@code [from, to)} of the given height; returns this chart. */
    public Chart bar(final double from, final double to, final double height) {
        bars.add((from + to) / 2, from, to, height, 0, height);
        return this;
    }

    /** Adds one bar per category, labelled on the x axis; returns this chart. */
    public Chart categoryBars(final List<String> labels, final double[] heights) {
        if (labels.size() != heights.length) {
            throw new IllegalArgumentException(labels.size() + " labels for " + heights.length + " bars");
        }
        for (int i = 0; i < heights.length; i++) {
            categories.addValue(heights[i], yLabel, labels.get(i));
        }
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
        final JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT,
                categories.getColumnCount() > 0 ? categoryPlot() : xyPlot(), lines.getSeriesCount() > 1);
        chart.setBackgroundPaint(Color.WHITE);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot render chart '" + title + "'", e);
        }
        return out.toByteArray();
    }

    private XYPlot xyPlot() {
        final NumberAxis x = new NumberAxis(xLabel);
        final NumberAxis y = new NumberAxis(yLabel);
        x.setAutoRangeIncludesZero(false);
        if (fixedRange != null) {
            x.setRange(fixedRange[0], fixedRange[1]);
            y.setRange(fixedRange[2], fixedRange[3]);
        }
        final XYLineAndShapeRenderer lineRenderer = new XYLineAndShapeRenderer(true, false);
        final XYPlot plot = new XYPlot(lines, x, y, lineRenderer);
        for (int s = 0; s < lines.getSeriesCount(); s++) {
            lineRenderer.setSeriesStroke(s, new BasicStroke(2f));
        }
        if (bars.getItemCount() > 0) {
            final XYIntervalSeriesCollection barData = new XYIntervalSeriesCollection();
            barData.addSeries(bars);
            final XYBarRenderer barRenderer = new XYBarRenderer();
            barRenderer.setBarPainter(new StandardXYBarPainter());
            barRenderer.setShadowVisible(false);
            barRenderer.setSeriesPaint(0, BAR);
            plot.setDataset(1, barData);
            plot.setRenderer(1, barRenderer);
        }
        for (final Marker m : markers) {
            final ValueMarker v = new ValueMarker(m.x(), MARKER, new BasicStroke(2f));
            v.setLabel(m.label());
            v.setLabelAnchor(RectangleAnchor.TOP_LEFT);
            v.setLabelTextAnchor(TextAnchor.TOP_RIGHT);
            plot.addDomainMarker(v);
        }
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }

    private CategoryPlot categoryPlot() {
        final CategoryAxis x = new CategoryAxis(xLabel);
        x.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        final BarRenderer renderer = new BarRenderer();
        renderer.setShadowVisible(false);
        renderer.setSeriesPaint(0, BAR);
        final CategoryPlot plot = new CategoryPlot(categories, x, new NumberAxis(yLabel), renderer);
        plot.setOrientation(PlotOrientation.VERTICAL);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }
}
