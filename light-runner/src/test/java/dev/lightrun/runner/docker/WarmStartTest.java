package dev.lightrun.runner.docker;

import dev.lightrun.runner.RunSpec;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WarmStartTest {
    @Test
    void theRunFileDeletesItselfExportsEnvLiterallyAndExecsTheEntrypoint() {
        String script = WarmStart.runScript(RunSpec.builder("busybox").entrypoint("echo \"$B\"; exit 3")
                .env("B", "it's $(x)\n`y`").env("A", "1").build());

        assertThat(script).isEqualTo("""
                rm -f ./.lightrun-run
                export A='1'
                export B='it'\\''s $(x)
                `y`'
                exec sh -c 'echo "$B"; exit 3'
                """);
    }

    @Test
    void withStdinTheEntrypointReadsTheStdinFileDeletedFirst() {
        String script = WarmStart.runScript(RunSpec.builder("busybox").entrypoint("cat").stdin("in").build());

        assertThat(script).endsWith("{ rm -f ./.lightrun-stdin 2>/dev/null; exec sh -c 'cat'; } < ./.lightrun-stdin\n");
    }

    @Test
    void theRunFileRunsInARealShellAsWritten() throws Exception {
        String value = "a'b\"c $HOME `d` \\e\nf";
        String script = WarmStart.runScript(RunSpec.builder("busybox").entrypoint("printf %s \"$V\"").env("V", value).build())
                .replace("rm -f ./.lightrun-run\n", "");
        Process sh = new ProcessBuilder(List.of("sh", "-c", script)).start();
        String out = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        sh.waitFor();

        assertThat(out).isEqualTo(value);
    }
}
