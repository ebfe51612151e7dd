package srgan.cuda;

import org.junit.jupiter.api.Test;
import srgan.engine.backend.BackendProvider;
import srgan.engine.backend.Backends;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * On a machine without a usable GPU the provider says so in a sentence and never throws; asking for "cuda"
 * by name fails with that sentence. (On a GPU machine these checks are skipped.)
 */
class ProviderWithoutGpuTest {

    @Test
    void providerIsFoundByServiceLoader() {
        assertTrue(Backends.providers().stream().anyMatch(p -> p instanceof CudaBackendProvider),
                "META-INF/services must register srgan.cuda.CudaBackendProvider");
    }

    @Test
    void unavailableWithAClearReason() {
        BackendProvider provider = new CudaBackendProvider();
        assumeFalse(provider.isAvailable(), "a CUDA device is present: nothing to check here");
        String reason = provider.unavailableReason();
        System.out.println("cuda unavailable: " + reason);
        assertFalse(reason.isBlank(), "the reason must not be empty");
        assertTrue(reason.startsWith("no ") || reason.contains("CUDA") || reason.contains("JCuda"),
                "the reason should name what is missing: " + reason);
        assertFalse(reason.contains("\n"), "one line: " + reason);
        assertFalse(provider.isAvailable(), "the answer is stable");
    }

    @Test
    void createByNameCarriesTheReason() {
        BackendProvider provider = new CudaBackendProvider();
        assumeFalse(provider.isAvailable(), "a CUDA device is present: nothing to check here");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.create("cuda"));
        assertTrue(e.getMessage().contains(provider.unavailableReason()), e.getMessage());
    }

    @Test
    void explainsCommonFailures() {
        assertTrue(CudaBackendProvider.explain(new UnsatisfiedLinkError(
                "libJCudaDriver.so: libcuda.so.1: cannot open shared object file")).startsWith("no NVIDIA driver"));
        assertTrue(CudaBackendProvider.explain(new jcuda.CudaException("CUDA_ERROR_NO_DEVICE"))
                .equals("no CUDA device"));
    }
}
