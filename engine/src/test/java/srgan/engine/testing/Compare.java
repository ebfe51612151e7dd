package srgan.engine.testing;

import static org.junit.jupiter.api.Assertions.fail;

/** Array comparison that reports the first mismatches (index, got, want) instead of a bare boolean. */
public final class Compare {
    private Compare() {
    }

    /** Passes when {@code |got - want| <= tolerance * max(1e-3, max|want|)} everywhere. */
    public static void assertCloseToScale(String what, double[] want, double[] got, double tolerance) {
        if (want.length != got.length) fail(what + ": length " + got.length + ", expected " + want.length);
        double scale = 1e-3;
        for (double w : want) scale = Math.max(scale, Math.abs(w));
        double bound = tolerance * scale;
        StringBuilder report = new StringBuilder();
        int bad = 0;
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            if (!(err <= bound)) { // also catches NaN
                if (bad < 5) report.append(String.format("%n  [%d] got %.9g, want %.9g (|err| %.3g)", i, got[i], want[i], err));
                bad++;
            }
            if (err > worst || Double.isNaN(err)) worst = err;
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d elements differ by more than %.3g (= %.1g x max|want| %.3g); worst %.3g%s",
                    what, bad, want.length, bound, tolerance, scale, worst, report));
        }
    }
}
