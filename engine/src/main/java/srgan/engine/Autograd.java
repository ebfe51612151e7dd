package srgan.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The reverse pass: reverse topological order over the recorded graph, gradients accumulated. */
final class Autograd {
    private Autograd() {
    }

    static void backward(Tensor root, Tensor seed) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward() on a tensor that does not require a gradient: no input "
                    + "of the ops that made it requires one, or it was made under GradMode.noGrad()");
        }
        try (GradMode ignored = GradMode.noGrad()) {
            if (root.gradFn() == null) {
                accumulate(root.gradBuffer(), seed);
                return;
            }
            List<Tensor> order = topologicalOrder(root);
            // Gradients of intermediate tensors, freed as soon as their node has consumed them.
            Map<Tensor, Tensor> grads = new IdentityHashMap<>();
            grads.put(root, seed);
            for (Tensor t : order) {
                Tensor g = grads.remove(t);
                if (g == null) continue;
                GradNode node = t.gradFn();
                List<Tensor> inputs = node.inputs();
                Tensor[] gradInputs = new Tensor[inputs.size()];
                for (int i = 0; i < gradInputs.length; i++) {
                    Tensor in = inputs.get(i);
                    if (in == null || !in.requiresGrad()) continue;
                    gradInputs[i] = in.gradFn() == null ? in.gradBuffer()
                            : grads.computeIfAbsent(in, k -> unscopedZeros(k));
                }
                node.run(g, gradInputs);
                node.release();
                if (g != seed) g.close();
            }
        }
    }

    private static Tensor unscopedZeros(Tensor like) {
        // Intermediate gradients are freed by the loop above, so no user scope must own them.
        return Tensor.unscopedZeros(like.backend(), like.shape());
    }

    private static void accumulate(Tensor into, Tensor g) {
        int[] shape = into.shape();
        into.backend().binary(srgan.engine.backend.BinaryOp.ADD, into.storage(), shape, g.storage(), shape,
                into.storage(), shape);
    }

    /** Tensors reachable from root through nodes, each after every tensor that consumes it. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> postOrder = new ArrayList<>();
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        // Iterative DFS: deep generators would overflow the stack with recursion.
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[]{root, 0});
        visited.add(root);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            List<Tensor> inputs = t.gradFn().inputs();
            if (next < inputs.size()) {
                frame[1] = next + 1;
                Tensor in = inputs.get(next);
                if (in != null && in.gradFn() != null && in.requiresGrad() && visited.add(in)) {
                    stack.push(new Object[]{in, 0});
                }
            } else {
                stack.pop();
                postOrder.add(t);
            }
        }
        Collections.reverse(postOrder);
        return postOrder;
    }
}
