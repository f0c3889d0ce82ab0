package dev.nelbo.trainer.quality;

import dev.nelbo.schemas.encoding.CsvLine;
import dev.nelbo.trainer.evaluate.DetectionMetrics;
import org.apache.commons.math3.distribution.MultivariateNormalDistribution;
import org.apache.commons.math3.distribution.fitting.MultivariateNormalMixtureExpectationMaximization;
import org.apache.commons.math3.exception.MathIllegalStateException;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.NonPositiveDefiniteMatrixException;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularMatrixException;
import org.apache.commons.math3.stat.correlation.Covariance;
import org.apache.commons.math3.util.Pair;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The Gaussian-mixture peer of {@code docs/quality.md} (not product code; run by {@code scripts/peers.sh}): the
 * textbook density model a VAE improves on. Features standardised on the training rows as the shared data's peers
 * are (a column constant on train gets scale 1); mixtures of 1 to {@value #MAX_COMPONENTS} full-covariance
 * components fitted by Apache Commons Math's EM; the number of components chosen by BIC on the training rows; a
 * row's score is -log p(x), computed in log space (densities of far rows underflow a double).
 *
 * <p>Commons Math has no covariance regularisation; a constant column makes every covariance singular. Each training
 * value gets Gaussian jitter of standard deviation {@value #JITTER} (standardised units), which adds about 1e-6 to
 * the diagonal in expectation: scikit-learn's default {@code reg_covar}.
 */
public final class GaussianMixtureBaseline {

    /** Largest number of components tried. */
    static final int MAX_COMPONENTS = 10;
    /** Standard deviation of the jitter added to the training rows. */
    static final double JITTER = 1e-3;
    /** EM iterations before a size is given up (Commons Math throws where scikit-learn warns). */
    private static final int MAX_ITERATIONS = 1000;
    /** Change of the mean log-likelihood per row that ends EM: scikit-learn's default {@code tol}. */
    private static final double CONVERGENCE = 1e-3;

    private GaussianMixtureBaseline() {
    }

    /** One component: log weight, mean and the Cholesky factor of its covariance. */
    private record Component(double logWeight, double[] mean, RealMatrix cholesky, double logNormaliser) {
    }

    /**
     * A fitted mixture.
     *
     * @param components the components
     * @param bic        its BIC on the training rows
     */
    record Mixture(List<Component> components, double bic) {

        /** @return number of components */
        int size() {
            return components.size();
        }

        /**
         * @param x a standardised row
         * @return log p(x)
         */
        double logDensity(final double[] x) {
            final double[] terms = new double[components.size()];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < terms.length; c++) {
                final Component k = components.get(c);
                terms[c] = k.logWeight() + k.logNormaliser() - 0.5 * mahalanobis(k, x);
                max = Math.max(max, terms[c]);
            }
            double sum = 0;
            for (final double t : terms) {
                sum += Math.exp(t - max);
            }
            return max + Math.log(sum);
        }

        private static double mahalanobis(final Component k, final double[] x) {
            // forward substitution with the lower-triangular factor: |L^-1 (x - mu)|^2
            final int d = x.length;
            final double[] y = new double[d];
            double sum = 0;
            for (int i = 0; i < d; i++) {
                double v = x[i] - k.mean()[i];
                for (int j = 0; j < i; j++) {
                    v -= k.cholesky().getEntry(i, j) * y[j];
                }
                y[i] = v / k.cholesky().getEntry(i, i);
                sum += y[i] * y[i];
            }
            return sum;
        }
    }

    /**
     * @param train standardised training rows (jittered here, on a copy)
     * @param seed  jitter seed
     * @return the mixture with the lowest BIC among 1..{@value #MAX_COMPONENTS} components (a size EM cannot fit,
     * singular or not converging, is skipped)
     */
    static Mixture fit(final double[][] train, final long seed) {
        final Random random = new Random(seed);
        final double[][] x = new double[train.length][];
        for (int i = 0; i < train.length; i++) {
            x[i] = train[i].clone();
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] += JITTER * random.nextGaussian();
            }
        }
        Mixture best = null;
        for (int k = 1; k <= MAX_COMPONENTS; k++) {
            final List<Pair<Double, MultivariateNormalDistribution>> fitted;
            try {
                fitted = k == 1 ? List.of(new Pair<>(1.0, single(x))) : em(x, k);
            } catch (final SingularMatrixException | NonPositiveDefiniteMatrixException | MathIllegalStateException e) {
                System.err.printf(Locale.ROOT, "  %d components: EM failed (%s), skipped%n", k, e.getClass().getSimpleName());
                continue;
            }
            final Mixture m = mixture(fitted, x);
            if (m == null) {
                continue;
            }
            if (best == null || m.bic() < best.bic()) {
                best = m;
            }
        }
        if (best == null) {
            throw new IllegalStateException("no mixture size could be fitted");
        }
        return best;
    }

    private static MultivariateNormalDistribution single(final double[][] x) {
        final double[] mean = new double[x[0].length];
        for (final double[] row : x) {
            for (int j = 0; j < mean.length; j++) {
                mean[j] += row[j] / x.length;
            }
        }
        return new MultivariateNormalDistribution(mean, new Covariance(x, false).getCovarianceMatrix().getData());
    }

    private static List<Pair<Double, MultivariateNormalDistribution>> em(final double[][] x, final int k) {
        final MultivariateNormalMixtureExpectationMaximization em = new MultivariateNormalMixtureExpectationMaximization(x);
        em.fit(MultivariateNormalMixtureExpectationMaximization.estimate(x, k), MAX_ITERATIONS, CONVERGENCE);
        return em.getFittedModel().getComponents();
    }

    private static Mixture mixture(final List<Pair<Double, MultivariateNormalDistribution>> fitted, final double[][] x) {
        final int d = x[0].length;
        final List<Component> components = new ArrayList<>();
        for (final Pair<Double, MultivariateNormalDistribution> p : fitted) {
            final RealMatrix cov = p.getSecond().getCovariances();
            final CholeskyDecomposition chol;
            try {
                chol = new CholeskyDecomposition(cov, 1e-12, 1e-14);
            } catch (final NonPositiveDefiniteMatrixException e) {
                return null;
            }
            double logDet = 0;
            for (int i = 0; i < d; i++) {
                logDet += 2 * Math.log(chol.getL().getEntry(i, i));
            }
            components.add(new Component(Math.log(p.getFirst()), p.getSecond().getMeans(), chol.getL(),
                    -0.5 * (d * Math.log(2 * Math.PI) + logDet)));
        }
        final Mixture partial = new Mixture(components, 0);
        double logLikelihood = 0;
        for (final double[] row : x) {
            logLikelihood += partial.logDensity(row);
        }
        final int k = components.size();
        final double parameters = k * (d + d * (d + 1) / 2.0) + (k - 1);
        return new Mixture(components, -2 * logLikelihood + parameters * Math.log(x.length));
    }

    /** Rows of a shared-data CSV (header f0..f{d-1}, optionally a last column {@code label}). */
    record Table(double[][] rows, int[] labels) {
        static Table read(final Path csv) {
            try {
                final List<String> lines = Files.readAllLines(csv);
                final String[] header = CsvLine.split(lines.get(0));
                final int label = Arrays.asList(header).indexOf("label");
                final int d = label >= 0 ? header.length - 1 : header.length;
                final double[][] rows = new double[lines.size() - 1][d];
                final int[] labels = new int[rows.length];
                for (int i = 0; i < rows.length; i++) {
                    final String[] cells = CsvLine.split(lines.get(i + 1));
                    for (int j = 0, c = 0; j < cells.length; j++) {
                        if (j == label) {
                            labels[i] = (int) Double.parseDouble(cells[j]);
                        } else {
                            rows[i][c++] = Double.parseDouble(cells[j]);
                        }
                    }
                }
                return new Table(rows, labels);
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot read " + csv, e);
            }
        }
    }

    /** Standardises both tables in place with the training mean and standard deviation (1 where it is 0). */
    static void standardise(final double[][] train, final double[][] test) {
        final int d = train[0].length;
        for (int j = 0; j < d; j++) {
            double mean = 0;
            for (final double[] r : train) {
                mean += r[j] / train.length;
            }
            double var = 0;
            for (final double[] r : train) {
                var += (r[j] - mean) * (r[j] - mean) / train.length;
            }
            final double sd = var > 0 ? Math.sqrt(var) : 1;
            for (final double[] r : train) {
                r[j] = (r[j] - mean) / sd;
            }
            for (final double[] r : test) {
                r[j] = (r[j] - mean) / sd;
            }
        }
    }

    /**
     * @param args the shared data folder, then data set names
     */
    public static void main(final String[] args) {
        final Path dir = Path.of(args[0]);
        System.out.println("data set\tcomponents\tAUROC\tAP\tseconds");
        for (final String name : Arrays.copyOfRange(args, 1, args.length)) {
            final long start = System.nanoTime();
            System.err.println(name + ":");
            final Table train = Table.read(dir.resolve(name + ".train.csv"));
            final Table test = Table.read(dir.resolve(name + ".test.csv"));
            standardise(train.rows(), test.rows());
            final Mixture m = fit(train.rows(), 1);
            final double[] scores = Arrays.stream(test.rows()).mapToDouble(r -> -m.logDensity(r)).toArray();
            final DetectionMetrics metrics = DetectionMetrics.of(scores, test.labels(), Double.POSITIVE_INFINITY);
            System.out.printf(Locale.ROOT, "%s\t%d\t%.4f\t%.4f\t%.0f%n", name, m.size(), metrics.auroc(),
                    metrics.averagePrecision(), (System.nanoTime() - start) / 1e9);
        }
    }
}
