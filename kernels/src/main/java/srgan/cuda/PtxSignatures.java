package srgan.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parameter lists of the kernels in one PTX module, read from its {@code .entry} declarations. A launch
 * whose arguments do not match in number, size and kind would read garbage on the device without any error, so
 * every launch is checked against these first.
 */
final class PtxSignatures {

    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+([A-Za-z_$][\\w$]*)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)");

    private final Map<String, List<String>> params;

    private PtxSignatures(Map<String, List<String>> params) {
        this.params = params;
    }

    static PtxSignatures parse(String ptx) {
        Map<String, List<String>> map = new HashMap<>();
        Matcher e = ENTRY.matcher(ptx);
        while (e.find()) {
            List<String> types = new ArrayList<>();
            Matcher p = PARAM.matcher(e.group(2));
            while (p.find()) types.add(p.group(1));
            map.put(e.group(1), List.copyOf(types));
        }
        return new PtxSignatures(Map.copyOf(map));
    }

    boolean has(String kernel) {
        return params.containsKey(kernel);
    }

    java.util.Set<String> kernels() {
        return params.keySet();
    }

    /** Throws IllegalArgumentException naming the kernel and the first mismatching argument. */
    void check(String kernel, Object[] args) {
        List<String> types = params.get(kernel);
        if (types == null) throw new IllegalArgumentException("no kernel " + kernel + " in this PTX module");
        if (types.size() != args.length) {
            throw new IllegalArgumentException("kernel " + kernel + " takes " + types.size() + " arguments "
                    + types + ", got " + args.length);
        }
        for (int i = 0; i < args.length; i++) {
            String t = types.get(i);
            Object a = args[i];
            boolean ok;
            switch (t) {
                case "u32": case "s32": case "b32": ok = a instanceof Integer; break;
                case "f32": ok = a instanceof Float; break;
                case "u64": case "s64": case "b64":
                    ok = a == null || a instanceof Long || a instanceof DeviceStorage
                            || a instanceof jcuda.driver.CUdeviceptr;
                    break;
                default: ok = false;
            }
            if (!ok) {
                throw new IllegalArgumentException("kernel " + kernel + " argument " + i + " is ." + t + " but got "
                        + (a == null ? "null" : a.getClass().getSimpleName()));
            }
        }
    }
}
