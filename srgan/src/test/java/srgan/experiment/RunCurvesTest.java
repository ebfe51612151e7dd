package srgan.experiment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunCurvesTest {
    @TempDir
    Path dir;

    /**
     * An MSE run logged every 10 steps and validated every 20: 5 s per 10 steps, then 10 s.
     */
    static final String MSE_RUN = """
            {"step":0,"val_psnr":20.0,"val_ssim":0.5,"bicubic_psnr":22.0,"bicubic_ssim":0.6}
            {"step":10,"phase":"mse","lr":1.0E-4,"loss_g":0.05,"steps_per_s":2.0,"elapsed_s":5.0}
            {"step":20,"phase":"mse","lr":1.0E-4,"loss_g":0.03,"steps_per_s":2.0,"elapsed_s":10.0}
            {"step":20,"val_psnr":23.0,"val_ssim":0.7,"bicubic_psnr":22.0,"bicubic_ssim":0.6}
            {"step":30,"phase":"mse","lr":1.0E-4,"loss_g":0.02,"steps_per_s":1.0,"elapsed_s":20.0}
            {"step":40,"phase":"mse","lr":1.0E-5,"loss_g":0.015,"steps_per_s":1.0,"elapsed_s":30.0}
            {"step":40,"val_psnr":24.5,"val_ssim":0.75,"bicubic_psnr":22.0,"bicubic_ssim":0.6}
            """;

    /**
     * A GAN run resumed from a checkpoint at step 25: the second session's elapsed_s restarts from 0, and its
     * first rate covers steps 25..30. Validated at 25, between two log lines. The last line was cut short.
     */
    static final String GAN_RUN = """
            {"step":10,"phase":"gan","lr":1.0E-4,"loss_g":0.9,"loss_content":0.5,"loss_adv":0.4,"loss_d":1.2,"steps_per_s":5.0,"elapsed_s":2.0}
            {"step":20,"phase":"gan","lr":1.0E-4,"loss_g":0.8,"loss_content":0.45,"loss_adv":0.35,"loss_d":1.1,"steps_per_s":5.0,"elapsed_s":4.0}
            {"step":20,"val_psnr":22.5,"val_ssim":0.65,"bicubic_psnr":22.0,"bicubic_ssim":0.6}
            {"step":25,"val_psnr":22.8,"val_ssim":0.66,"bicubic_psnr":22.0,"bicubic_ssim":0.6}
            {"step":30,"phase":"gan","lr":1.0E-4,"loss_g":0.7,"loss_content":0.4,"loss_adv":0.3,"loss_d":1.0,"steps_per_s":2.0,"elapsed_s":2.5}
            {"step":30,"val_psnr":23.5,"val_ssim":0.7,"bicubic_psnr":22.0,"bicubic_ssim":0.6}
            {"step":40,"phase":"gan","lr":1.0E-4,"loss_g":0.6,"loss_content":0.35,"loss_adv":0.25,"loss_d":0.9,"steps_per_s":2.0,"elapsed_s":7.5}
            {"step":40,"val_psnr":24.0,"val_ssim":0.72,"bicubic_psnr":22.0,"bicubic_ssim":0.6}
            {"step":45,"phase":"ga""";

    @Test
    void readsLossesAndValidationAgainstStepAndTime() throws IOException {
        RunCurves c = RunCurves.read(Files.writeString(dir.resolve("metrics.jsonl"), MSE_RUN));
        assertEquals(List.of("loss_g"), List.copyOf(c.losses().keySet()));
        assertEquals(new RunCurves.Series(List.of(10.0, 20.0, 30.0, 40.0), List.of(0.05, 0.03, 0.02, 0.015)),
                c.losses().get("loss_g"));
        assertEquals(new RunCurves.Series(List.of(0.0, 20.0, 40.0), List.of(20.0, 23.0, 24.5)), c.validationPsnr());
        assertEquals(new RunCurves.Series(List.of(0.0, 10.0, 30.0), List.of(20.0, 23.0, 24.5)),
                c.validationPsnrBySeconds());
        assertEquals(22.0, c.bicubicPsnr());
    }

    @Test
    void timeRunsOnAcrossAResumeAndBetweenLogLines() throws IOException {
        RunCurves c = RunCurves.read(Files.writeString(dir.resolve("metrics.jsonl"), GAN_RUN));
        assertEquals(List.of("loss_g", "loss_content", "loss_adv", "loss_d"), List.copyOf(c.losses().keySet()));
        assertEquals(List.of(10.0, 20.0, 30.0, 40.0), c.losses().get("loss_d").x());
        // 10/5 + 10/5 = 4 s at step 20; steps 20..30 at 2/s make 9 s; 25 lies halfway; 40 is at 14 s.
        assertEquals(new RunCurves.Series(List.of(4.0, 6.5, 9.0, 14.0), List.of(22.5, 22.8, 23.5, 24.0)),
                c.validationPsnrBySeconds());
    }

    @Test
    void withoutARateElapsedTimeIsSummedOverSessions() throws IOException {
        Path f = Files.writeString(dir.resolve("metrics.jsonl"), """
                {"step":10,"loss_g":1.0,"elapsed_s":5.0}
                {"step":20,"loss_g":1.0,"elapsed_s":10.0}
                {"step":30,"loss_g":1.0,"elapsed_s":3.0}
                {"step":30,"val_psnr":21.0}
                {"step":50,"val_psnr":22.0}
                """);
        RunCurves c = RunCurves.read(f);
        // Step 50 lies past the last log line, so it has no time.
        assertEquals(new RunCurves.Series(List.of(13.0), List.of(21.0)), c.validationPsnrBySeconds());
        assertEquals(List.of(30.0, 50.0), c.validationPsnr().x());
        assertTrue(Double.isNaN(c.bicubicPsnr()));
    }

    @Test
    void trainSecondsWhereLoggedAreTheTimeAndRunOnAcrossAResume() throws IOException {
        Path f = Files.writeString(dir.resolve("metrics.jsonl"), """
                {"step":0,"val_psnr":20.0,"bicubic_psnr":22.0,"train_s":0.0}
                {"step":10,"loss_g":1.0,"steps_per_s":1.0,"elapsed_s":12.0,"train_s":8.0}
                {"step":10,"val_psnr":21.0,"bicubic_psnr":22.0,"train_s":8.0}
                {"step":20,"loss_g":1.0,"steps_per_s":1.0,"elapsed_s":4.0,"train_s":3.5}
                {"step":20,"val_psnr":22.5,"bicubic_psnr":22.0,"train_s":3.5}
                """);
        // Validation and checkpoint time (elapsed_s, steps_per_s) is not training time; the second session
        // restarts train_s from 0 after the first session's 8 s.
        assertEquals(new RunCurves.Series(List.of(0.0, 8.0, 11.5), List.of(20.0, 21.0, 22.5)),
                RunCurves.read(f).validationPsnrBySeconds());
    }

    @Test
    void aBrokenLineBeforeTheLastIsAnErrorNamingIt() throws IOException {
        Path f = Files.writeString(dir.resolve("metrics.jsonl"), "{\"step\":10,\"loss_g\":1.0}\n{oops\n"
                + "{\"step\":20,\"loss_g\":1.0}\n");
        IOException e = assertThrows(IOException.class, () -> RunCurves.read(f));
        assertTrue(e.getMessage().startsWith(f + " line 2 is not JSON"), e.getMessage());
        IOException missing = assertThrows(IOException.class, () -> RunCurves.read(dir.resolve("none.jsonl")));
        assertTrue(missing.getMessage().contains("none.jsonl"), missing.getMessage());
    }
}
