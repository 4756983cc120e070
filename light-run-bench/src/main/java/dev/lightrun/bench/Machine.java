package dev.lightrun.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Facts about the machine and the checkout a result was measured on: cores, CPU, memory, load, kernel, Java, the
 * Docker daemon, and the git commit. Every fact that cannot be read is null (or a note), never a failure.
 */
final class Machine {

    private Machine() {
    }

    /** The commit, branch and whether the work tree has changes; null where git cannot say. */
    static Map<String, Object> git(Path repo) {
        Map<String, Object> git = new LinkedHashMap<>();
        git.put("head", command(repo, "git", "rev-parse", "HEAD"));
        git.put("branch", command(repo, "git", "rev-parse", "--abbrev-ref", "HEAD"));
        String status = command(repo, "git", "status", "--porcelain");
        git.put("dirty", status != null && !status.isBlank());
        return git;
    }

    /** Cores, CPU, memory, kernel, load now, Java, and the daemon's version (or why it was unreachable). */
    static Map<String, Object> facts(EngineClient engine) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("cpu", procField("/proc/cpuinfo", "model name"));
        String memKib = procField("/proc/meminfo", "MemTotal");
        m.put("memoryMiB", memKib == null ? null : Long.parseLong(memKib.split("\\s+")[0]) / 1024);
        m.put("kernel", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("loadAverageAtStart", loadAverage());
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("javaHome", System.getProperty("java.home"));
        try {
            JsonNode v = engine.version();
            m.put("docker", Figures.map("version", v.path("Version").asText(), "apiVersion", v.path("ApiVersion").asText(),
                    "os", v.path("Os").asText(), "kernel", v.path("KernelVersion").asText()));
        } catch (IOException e) {
            m.put("docker", "unreachable: " + e.getMessage());
        }
        return m;
    }

    /** The 1, 5 and 15 minute load averages, space-separated; null without /proc/loadavg. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return null;
        }
    }

    private static String procField(String file, String name) {
        try {
            for (String line : Files.readAllLines(Path.of(file))) {
                if (line.startsWith(name)) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static String command(Path dir, String... command) {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? text : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
