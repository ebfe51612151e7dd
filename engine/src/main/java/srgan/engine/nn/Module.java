package srgan.engine.nn;

import srgan.engine.Scope;
import srgan.engine.Shapes;
import srgan.engine.Tensor;
import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A layer or a model, as PyTorch's {@code torch.nn.Module}: it owns named parameters (leaves that require a
 * gradient), named buffers (state without a gradient, such as batch-norm running statistics) and named child
 * modules, each kept in the order it was registered. Names compose with dots as in PyTorch, so a state dict
 * reads {@code body.0.conv1.weight}, {@code bn.running_mean} and moves across in safetensors.
 *
 * <p>Ownership: a module owns its parameters and buffers, and {@link #close()} frees them (and those of its
 * children). Registering a parameter or buffer takes it out of any open {@link Scope}, so a module may be
 * built inside a scope without losing its weights when the scope closes. Outputs of {@link #forward} are ordinary op results, owned by the caller's scope.
 *
 * <p>Modules start in training mode; {@link #eval()} and {@link #train()} switch a whole tree.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Applies the module to one input. */
    public abstract Tensor forward(Tensor x);

    /**
     * Whether the backward pass of {@link #forward}'s ops reads the input forward was given. True unless a
     * subclass knows otherwise. With {@link #backwardReadsOutput()} it lets a container free an intermediate
     * during training as soon as neither the module that made it nor the one that took it needs it again (see
     * {@link Sequential}), as PyTorch frees a tensor that no saved state refers to.
     */
    public boolean backwardReadsInput() {
        return true;
    }

    /**
     * Whether the backward pass of {@link #forward}'s ops reads forward's output. True unless a subclass knows
     * otherwise.
     */
    public boolean backwardReadsOutput() {
        return true;
    }

    // ---- registration, for subclasses' constructors ----

    /**
     * Registers a parameter under {@code name} and marks it as requiring a gradient. The module takes
     * ownership: {@link #close()} frees it.
     *
     * @return {@code tensor}, for assignment to a field
     * @throws IllegalArgumentException if the name is empty, holds a dot, or is already taken
     */
    protected final Tensor registerParameter(String name, Tensor tensor) {
        checkNewName(name);
        if (tensor.gradFn() != null) {
            throw new IllegalArgumentException("parameter '" + name + "' must be a leaf tensor, but it was made by "
                    + tensor.gradFn().name() + " (detach it first)");
        }
        tensor.requiresGrad(true);
        parameters.put(name, Scope.release(tensor));
        return tensor;
    }

    /**
     * Registers a buffer: state saved in the state dict that takes no gradient. The module takes ownership.
     *
     * @return {@code tensor}, for assignment to a field
     */
    protected final Tensor registerBuffer(String name, Tensor tensor) {
        checkNewName(name);
        if (tensor.requiresGrad()) {
            throw new IllegalArgumentException("buffer '" + name + "' must not require a gradient");
        }
        buffers.put(name, Scope.release(tensor));
        return tensor;
    }

    /**
     * Registers a child module; its parameters and buffers appear under {@code name + "."}.
     *
     * @return {@code module}, for assignment to a field
     */
    protected final <M extends Module> M registerModule(String name, M module) {
        checkNewName(name);
        if (module == this) throw new IllegalArgumentException("a module cannot be its own child ('" + name + "')");
        children.put(name, module);
        return module;
    }

    private void checkNewName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("invalid name '" + name + "': names are non-empty and hold no dot");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("'" + name + "' is already registered in " + getClass().getSimpleName());
        }
    }

    // ---- traversal ----

    /**
     * Every parameter of this module and its descendants, PyTorch's {@code named_parameters()}: own parameters
     * first, then each child's in registration order. A tensor shared between modules appears once, under the
     * first name met, so an optimiser steps it once.
     */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collect("", out, seen, true, false);
        return Collections.unmodifiableMap(out);
    }

    /** The tensors of {@link #namedParameters()}, in that order. */
    public final List<Tensor> parameters() {
        return List.copyOf(namedParameters().values());
    }

    /** Every buffer of this module and its descendants, PyTorch's {@code named_buffers()}; shared ones once. */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collect("", out, seen, false, true);
        return Collections.unmodifiableMap(out);
    }

    /** The direct children, in registration order. */
    public final Map<String, Module> namedChildren() {
        return Collections.unmodifiableMap(children);
    }

    /**
     * Parameters and buffers under their state-dict names, in PyTorch's {@code state_dict()} order: own
     * parameters, own buffers, then each child recursively. A shared tensor appears under every name, as in
     * PyTorch.
     */
    private Map<String, Tensor> stateTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, null, true, true);
        return out;
    }

    /** Walks the tree depth-first; {@code seen}, when given, drops tensors already collected. */
    private void collect(String prefix, Map<String, Tensor> out, Set<Tensor> seen, boolean params, boolean bufs) {
        if (params) {
            parameters.forEach((name, t) -> {
                if (seen == null || seen.add(t)) out.put(prefix + name, t);
            });
        }
        if (bufs) {
            buffers.forEach((name, t) -> {
                if (seen == null || seen.add(t)) out.put(prefix + name, t);
            });
        }
        children.forEach((name, child) -> child.collect(prefix + name + ".", out, seen, params, bufs));
    }

    /** Number of parameter elements (buffers excluded, shared parameters once), as PyTorch users count them. */
    public final long parameterCount() {
        long count = 0;
        for (Tensor p : parameters()) count += p.numel();
        return count;
    }

    // ---- state ----

    /**
     * A host copy of every parameter and buffer, as float32, in PyTorch's {@code state_dict()} order and with
     * its names. Downloads everything: call it to save, not per step.
     */
    public final Map<String, HostTensor> stateDict() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        stateTensors().forEach((name, t) -> out.put(name, new HostTensor(t.shape(), t.toFloatArray())));
        return out;
    }

    /**
     * Copies values into this module's parameters and buffers, in place. Strict as PyTorch's default: the keys
     * must be exactly those of {@link #stateDict()}, each with the same shape. Everything is checked before
     * anything is copied, and every problem is reported at once: a failed load changes nothing.
     *
     * @throws IllegalArgumentException listing every missing key, every unexpected key, and every key whose
     *                                  shape differs (with both shapes)
     */
    public final void loadStateDict(Map<String, HostTensor> state) {
        Map<String, Tensor> expected = stateTensors();
        List<String> missing = new ArrayList<>();
        List<String> wrongShape = new ArrayList<>();
        expected.forEach((name, t) -> {
            HostTensor h = state.get(name);
            if (h == null) {
                missing.add(name);
            } else if (!Arrays.equals(h.shape(), t.shape())) {
                wrongShape.add(name + ": checkpoint " + Shapes.str(h.shape()) + ", model " + Shapes.str(t.shape()));
            }
        });
        List<String> unexpected = new ArrayList<>();
        for (String name : state.keySet()) {
            if (!expected.containsKey(name)) unexpected.add(name);
        }
        String problems = describeProblems(missing, unexpected, wrongShape);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("state dict does not fit " + getClass().getSimpleName() + ": "
                    + problems);
        }
        expected.forEach((name, t) -> t.copyFrom(state.get(name).data()));
    }

    /** "missing keys [..]; unexpected keys [..]; shape mismatches [..]", leaving out empty groups. */
    static String describeProblems(List<String> missing, List<String> unexpected, List<String> wrongShape) {
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) parts.add(missing.size() + " missing key(s) " + missing);
        if (!unexpected.isEmpty()) parts.add(unexpected.size() + " unexpected key(s) " + unexpected);
        if (!wrongShape.isEmpty()) parts.add(wrongShape.size() + " shape mismatch(es) " + wrongShape);
        return String.join("; ", parts);
    }

    /** Writes {@link #stateDict()} to a safetensors file (float32), atomically. */
    public final void save(Path file) throws IOException {
        SafeTensors.write(file, stateDict(), null);
    }

    /** Reads a safetensors file and {@link #loadStateDict loads} it, with the same strict checks. */
    public final void load(Path file) throws IOException {
        loadStateDict(SafeTensors.read(file));
    }

    // ---- modes and gradients ----

    /** Sets training mode ({@code true}) or eval mode on this module and every descendant. */
    public Module train(boolean mode) {
        training = mode;
        for (Module child : children.values()) child.train(mode);
        return this;
    }

    /** Training mode for the whole tree: batch norm uses and updates batch statistics. */
    public final Module train() {
        return train(true);
    }

    /** Eval mode for the whole tree: batch norm uses its running statistics. */
    public final Module eval() {
        return train(false);
    }

    public final boolean isTraining() {
        return training;
    }

    /** Zeroes the accumulated gradient of every parameter, keeping the buffers. */
    public final void zeroGrad() {
        for (Tensor p : parameters()) p.zeroGrad();
    }

    /** Frees every parameter, buffer (and their gradients) of this module and its descendants. Idempotent. */
    @Override
    public void close() {
        for (Tensor t : parameters.values()) t.close();
        for (Tensor t : buffers.values()) t.close();
        for (Module child : children.values()) child.close();
    }

    /** The layer's settings for {@link #toString()}, as PyTorch's {@code extra_repr}: "3, 64, kernel_size=9". */
    protected String extraRepr() {
        return "";
    }

    /** The module tree, PyTorch-style. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append('(').append(extraRepr());
        if (!children.isEmpty()) {
            sb.append('\n');
            children.forEach((name, child) -> sb.append("  (").append(name).append("): ")
                    .append(child.toString().replace("\n", "\n  ")).append('\n'));
        }
        return sb.append(')').toString();
    }
}
