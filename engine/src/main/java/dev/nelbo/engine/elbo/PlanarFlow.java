package dev.nelbo.engine.elbo;

import dev.nelbo.schemas.bundle.Manifest;

import java.util.List;

/**
 * A chain of planar flows on posterior samples (Rezende and Mohamed, 2015): {@code z_k = z_{k-1} + u_k h(w_k . z_{k-1}
 * + b_k)} with {@code h = tanh}, whose Jacobian determinant is {@code 1 + u_k . psi_k} with {@code psi_k = h'(w_k .
 * z_{k-1} + b_k) w_k}. The {@code u} held are the constrained vectors (w . u >= -1), so every step is invertible and
 * the determinant positive. The trainer's DJL version of the same arithmetic is checked against this one at export.
 */
public final class PlanarFlow {

    private final int latent;
    private final double[][] u;
    private final double[][] w;
    private final double[] b;
    /** w_k . u_k per step (constant: the parameters are shared by all records). */
    private final double[] wu;

    /**
     * @param flow the manifest's flow
     */
    public PlanarFlow(final Manifest.PlanarFlow flow) {
        this.u = matrix(flow.u());
        this.w = matrix(flow.w());
        this.b = flow.b().stream().mapToDouble(Double::doubleValue).toArray();
        this.latent = u[0].length;
        this.wu = new double[b.length];
        for (int k = 0; k < b.length; k++) {
            wu[k] = flow.wu(k);
        }
    }

    private static double[][] matrix(final List<List<Double>> rows) {
        return rows.stream().map(r -> r.stream().mapToDouble(Double::doubleValue).toArray()).toArray(double[][]::new);
    }

    /** @return number of steps */
    public int length() {
        return b.length;
    }

    /** @return latent width K */
    public int latent() {
        return latent;
    }

    /**
     * Moves a sample through every step, in place.
     *
     * @param z one sample of K values, replaced by the flow's output
     * @return the sum over the steps of log |det dz_k / dz_{k-1}|
     */
    public double apply(final double[] z) {
        // one log per sample: the determinants are multiplied (each lies in (0, 2], so K <= 64 of them stay finite)
        double det = 1;
        for (int k = 0; k < b.length; k++) {
            final double[] uk = u[k];
            final double[] wk = w[k];
            double a = b[k];
            for (int j = 0; j < latent; j++) {
                a += wk[j] * z[j];
            }
            final double h = tanh(a);
            for (int j = 0; j < latent; j++) {
                z[j] += uk[j] * h;
            }
            // 1 + u . psi = 1 + h'(a) (w . u); w . u >= -1 and 0 < h' <= 1 keep it positive
            det *= Math.abs(1 + (1 - h * h) * wu[k]);
        }
        return Math.log(det);
    }

    /** tanh from one exp: Math.tanh (fdlibm) took most of a flowed score's time. */
    private static double tanh(final double a) {
        final double e = Math.exp(-2 * Math.abs(a));
        return Math.copySign((1 - e) / (1 + e), a);
    }
}
