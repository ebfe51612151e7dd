package srgan.train;

import srgan.engine.io.HostTensor;
import srgan.engine.io.SafeTensors;
import srgan.engine.nn.Module;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Loads weight files into modules, turning every way that can fail into one message that names the file. */
final class WeightFiles {
    private WeightFiles() {
    }

    /**
     * Reads a safetensors file.
     *
     * @param what what the file is for, as the user named it ("--init", "--vgg")
     * @throws IllegalArgumentException if the file is missing or unreadable
     */
    static Map<String, HostTensor> read(String what, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(what + " " + file
                    + (Files.exists(file) ? " is not a file" : " does not exist"));
        }
        try {
            return SafeTensors.read(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + " " + file + " does not exist", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + what + " " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads {@code file} into {@code module}, strictly: every tensor the module has, no other, each of its shape.
     *
     * @param describe the module as the user would know it, e.g. "the generator (64 channels, 16 blocks)"
     * @throws IllegalArgumentException naming the file and every missing, unexpected or mis-shaped tensor
     */
    static void load(String what, Path file, Module module, String describe) {
        Map<String, HostTensor> state = read(what, file);
        try {
            module.loadStateDict(state);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " " + file + " does not fit " + describe + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Loads the tensors of {@code file} that {@code module} has, ignoring the rest (a full VGG19 file holds a
     * classifier that the feature extractor does not use), with the same strict check of the ones it needs.
     */
    static void loadSubset(String what, Path file, Module module, String describe) {
        Map<String, HostTensor> state = read(what, file);
        Map<String, HostTensor> wanted = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(module.namedParameters().keySet());
        names.addAll(module.namedBuffers().keySet());
        for (String name : names) {
            HostTensor t = state.get(name);
            if (t != null) wanted.put(name, t);
        }
        try {
            module.loadStateDict(wanted);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " " + file + " does not fit " + describe + ": "
                    + e.getMessage(), e);
        }
    }
}
