package srgan.engine.optim;

import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.backend.AdamHyper;
import srgan.engine.backend.Backend;
import srgan.engine.backend.Storage;
import srgan.engine.io.HostTensor;
import srgan.engine.nn.Module;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Adam as {@code torch.optim.Adam} (L2 weight decay added to the gradient, not AdamW); the update rule is in
 * {@link AdamHyper}'s Javadoc. Each {@link #step()} is one {@link Backend#adamStep} call over every parameter
 * that has a gradient, so a training step costs one dispatch however many tensors the model has.
 *
 * <p>The moments are allocated zero-filled the first time a parameter has a gradient, as raw backend storage
 * owned by the optimiser rather than tensors: no {@link srgan.engine.Scope} around a training step can take
 * them. {@link #close()} frees them.
 *
 * <p>One step counter serves all parameters, where PyTorch keeps one per parameter. They differ only for a
 * parameter that first receives a gradient after others have been stepped, which SRGAN training never does.
 */
public final class Adam implements AutoCloseable {
    private static final Pattern STATE_KEY = Pattern.compile("state\\.(\\d+)\\.(exp_avg|exp_avg_sq)");
    private static final String STEP_KEY = "step";

    private final List<Tensor> params;
    private final Backend backend;
    private final Storage[] expAvg;
    private final Storage[] expAvgSq;
    private double lr;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean biasCorrection;
    private long step;
    private boolean closed;

    /**
     * @param params         leaves that require a gradient, all on one backend, each at most once; their
     *                       positions are the indices of the state dict
     * @param lr             learning rate (PyTorch's default 1e-3)
     * @param beta1          decay of the first moment (0.9)
     * @param beta2          decay of the second moment (0.999)
     * @param eps            added to the denominator (1e-8)
     * @param weightDecay    L2 penalty added to the gradient (0)
     * @param biasCorrection whether to divide the moments by {@code 1 - beta^step} (true, as PyTorch always does)
     */
    public Adam(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay,
                boolean biasCorrection) {
        checkRange("lr", lr, 0, Double.POSITIVE_INFINITY);
        checkRange("beta1", beta1, 0, 1);
        checkRange("beta2", beta2, 0, 1);
        checkRange("eps", eps, 0, Double.POSITIVE_INFINITY);
        checkRange("weightDecay", weightDecay, 0, Double.POSITIVE_INFINITY);
        if (params.isEmpty()) throw new IllegalArgumentException("Adam got an empty parameter list");
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            if (!seen.add(p)) {
                throw new IllegalArgumentException("parameter " + i + " " + p + " appears twice; it would be "
                        + "stepped twice");
            }
            if (!p.requiresGrad() || p.gradFn() != null) {
                throw new IllegalArgumentException("parameter " + i + " " + p + " is not a leaf that requires a "
                        + "gradient");
            }
            if (p.backend() != params.get(0).backend()) {
                throw new IllegalArgumentException("parameters on different backends: " + params.get(0).backend().name()
                        + " and " + p.backend().name() + " (parameter " + i + ")");
            }
        }
        this.params = List.copyOf(params);
        this.backend = params.get(0).backend();
        this.expAvg = new Storage[params.size()];
        this.expAvgSq = new Storage[params.size()];
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.biasCorrection = biasCorrection;
    }

    /** With PyTorch's eps (1e-8), no weight decay and bias correction. */
    public Adam(List<Tensor> params, double lr, double beta1, double beta2) {
        this(params, lr, beta1, beta2, 1e-8, 0, true);
    }

    /** With PyTorch's betas (0.9, 0.999), eps, no weight decay and bias correction. */
    public Adam(List<Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999);
    }

    /** With all of PyTorch's defaults (lr 1e-3). */
    public Adam(List<Tensor> params) {
        this(params, 1e-3);
    }

    /** Over {@code module.parameters()}, in their order. */
    public Adam(Module module, double lr, double beta1, double beta2) {
        this(module.parameters(), lr, beta1, beta2);
    }

    /** Over {@code module.parameters()} with PyTorch's betas. */
    public Adam(Module module, double lr) {
        this(module.parameters(), lr);
    }

    /** Over {@code module.parameters()} with all of PyTorch's defaults. */
    public Adam(Module module) {
        this(module.parameters());
    }

    private static void checkRange(String name, double value, double low, double highExclusive) {
        // Written so that NaN fails too.
        if (!(value >= low && value < highExclusive)) {
            throw new IllegalArgumentException("Adam " + name + " must be in [" + low + ", " + highExclusive
                    + "), got " + value);
        }
    }

    /**
     * Updates every parameter that has a gradient, in one backend call, and advances the step counter. Does
     * nothing (and counts nothing) when no parameter has a gradient.
     */
    public void step() {
        requireOpen();
        List<Storage> ps = new ArrayList<>();
        List<Storage> gs = new ArrayList<>();
        List<Storage> ms = new ArrayList<>();
        List<Storage> vs = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            Tensor g = p.grad();
            if (g == null) continue;
            if (expAvg[i] == null) {
                expAvg[i] = backend.allocate(p.numel());
                expAvgSq[i] = backend.allocate(p.numel());
            }
            ps.add(p.storage());
            gs.add(g.storage());
            ms.add(expAvg[i]);
            vs.add(expAvgSq[i]);
        }
        if (ps.isEmpty()) return;
        step++;
        backend.adamStep(ps, gs, ms, vs, new AdamHyper(lr, beta1, beta2, eps, weightDecay, biasCorrection, step));
    }

    /** Zeroes the gradient of every parameter, keeping the buffers. */
    public void zeroGrad() {
        for (Tensor p : params) p.zeroGrad();
    }

    /** Sets the learning rate used from the next {@link #step()} on (for schedules). */
    public void setLearningRate(double lr) {
        checkRange("lr", lr, 0, Double.POSITIVE_INFINITY);
        this.lr = lr;
    }

    public double learningRate() {
        return lr;
    }

    /** Number of {@link #step()} calls that updated something. */
    public long stepCount() {
        return step;
    }

    /** The parameters, in the order the state dict indexes them. */
    public List<Tensor> parameters() {
        return params;
    }

    // ---- checkpoints ----

    /**
     * A host copy of the optimiser state: {@code state.<i>.exp_avg} and {@code state.<i>.exp_avg_sq} for every
     * parameter {@code i} that has been stepped (PyTorch's keys, flattened), each shaped as its parameter,
     * then {@code step}, a 0-d tensor. The step is stored as a float, exact up to 2^24 steps.
     */
    public Map<String, HostTensor> stateDict() {
        requireOpen();
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            if (expAvg[i] == null) continue;
            int[] shape = params.get(i).shape();
            out.put("state." + i + ".exp_avg", new HostTensor(shape, backend.download(expAvg[i])));
            out.put("state." + i + ".exp_avg_sq", new HostTensor(shape, backend.download(expAvgSq[i])));
        }
        out.put(STEP_KEY, new HostTensor(new int[0], new float[]{step}));
        return out;
    }

    /**
     * Restores a state saved by {@link #stateDict()}. A parameter with no entries gets no state (as one never
     * stepped); one with entries needs both moments. Everything is checked first and every problem reported
     * in one exception, so a failed load changes nothing.
     *
     * @throws IllegalArgumentException listing every missing key (the step, or one moment of a pair), every
     *                                  unexpected key, and every shape mismatch with both shapes
     */
    public void loadStateDict(Map<String, HostTensor> state) {
        requireOpen();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> wrongShape = new ArrayList<>();
        HostTensor[] avg = new HostTensor[params.size()];
        HostTensor[] avgSq = new HostTensor[params.size()];
        long newStep = 0;
        for (Map.Entry<String, HostTensor> e : state.entrySet()) {
            String key = e.getKey();
            HostTensor h = e.getValue();
            if (key.equals(STEP_KEY)) {
                float s = h.size() == 1 ? h.data()[0] : Float.NaN;
                if (h.rank() != 0) {
                    wrongShape.add(key + ": checkpoint " + Shapes.str(h.shape()) + ", optimiser []");
                } else if (!(s >= 0) || s != Math.rint(s)) {
                    wrongShape.add(key + ": " + s + " is not a step count");
                } else {
                    newStep = (long) s;
                }
                continue;
            }
            Matcher m = STATE_KEY.matcher(key);
            int index = m.matches() ? parseIndex(m.group(1)) : -1;
            if (index < 0 || index >= params.size()) {
                unexpected.add(key);
                continue;
            }
            int[] expected = params.get(index).shape();
            if (!Arrays.equals(h.shape(), expected)) {
                wrongShape.add(key + ": checkpoint " + Shapes.str(h.shape()) + ", parameter " + Shapes.str(expected));
            }
            if (m.group(2).equals("exp_avg")) avg[index] = h;
            else avgSq[index] = h;
        }
        if (!state.containsKey(STEP_KEY)) missing.add(STEP_KEY);
        for (int i = 0; i < params.size(); i++) {
            if (avg[i] != null && avgSq[i] == null) missing.add("state." + i + ".exp_avg_sq");
            if (avg[i] == null && avgSq[i] != null) missing.add("state." + i + ".exp_avg");
        }
        String problems = describeProblems(missing, unexpected, wrongShape);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("optimiser state does not fit these " + params.size()
                    + " parameters: " + problems);
        }
        freeMoments();
        for (int i = 0; i < params.size(); i++) {
            if (avg[i] == null) continue;
            expAvg[i] = backend.upload(avg[i].data());
            expAvgSq[i] = backend.upload(avgSq[i].data());
        }
        step = newStep;
    }

    private static int parseIndex(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return -1; // more digits than an int holds: no parameter has that index
        }
    }

    private static String describeProblems(List<String> missing, List<String> unexpected, List<String> wrongShape) {
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) parts.add(missing.size() + " missing key(s) " + missing);
        if (!unexpected.isEmpty()) parts.add(unexpected.size() + " unexpected key(s) " + unexpected);
        if (!wrongShape.isEmpty()) parts.add(wrongShape.size() + " bad value(s) " + wrongShape);
        return String.join("; ", parts);
    }

    private void freeMoments() {
        for (int i = 0; i < params.size(); i++) {
            if (expAvg[i] != null) expAvg[i].close();
            if (expAvgSq[i] != null) expAvgSq[i].close();
            expAvg[i] = null;
            expAvgSq[i] = null;
        }
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("Adam optimiser used after close()");
    }

    /** Frees the moments; the parameters belong to their module and stay. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        freeMoments();
    }
}
