package srgan.engine.testing;

import srgan.engine.Tensor;

import java.util.List;
import java.util.function.Function;

/**
 * An op under test: a name that says op and shapes, its inputs, the forward function, and the parity
 * tolerances of a float32 backend against the float64 reference.
 *
 * <p>Tolerances are relative to the largest magnitude in the reference tensor ({@code |fast - ref| <=
 * tol * max(1e-3, max|ref|)}), because float32 rounding error scales with the size of the terms summed, not with
 * each (possibly cancelling) result. {@code forwardTolerance} applies to the output, {@code
 * backwardTolerance} to every input gradient.
 */
public record OpCase(String name, List<InputSpec> inputs, Function<List<Tensor>, Tensor> forward,
                     double forwardTolerance, double backwardTolerance) {

    @Override
    public String toString() {
        return name;
    }
}
