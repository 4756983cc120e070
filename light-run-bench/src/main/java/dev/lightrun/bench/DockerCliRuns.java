package dev.lightrun.bench;

import dev.lightrun.bench.Contenders.Sample;
import dev.lightrun.runner.Hardening;
import dev.lightrun.runner.Limits;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static dev.lightrun.bench.Contenders.BENCH_LABEL;
import static dev.lightrun.bench.Contenders.bigFileCommand;
import static dev.lightrun.bench.Contenders.deleteTree;
import static dev.lightrun.bench.Contenders.ms;
import static dev.lightrun.bench.Contenders.requireSize;

/**
 * The docker CLI contenders: {@code docker run} of the trivial workload, and {@code docker create/cp/start/wait/cp/rm}
 * of the files workload, with the same limits and hardening light-run applies. What a user scripting the CLI gets.
 */
final class DockerCliRuns {
    private final String image;
    private final Path workDir;

    DockerCliRuns(String image, Path workDir) {
        this.image = image;
        this.workDir = workDir;
    }

    /** {@code docker run --rm --network none <image> echo hi} (labelled, so a leftover would be found). */
    Sample run() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        String out = docker("run", "--rm", "--label", BENCH_LABEL + "=true", "--network", "none", image, "echo", "hi");
        double total = ms(t0);
        if (!out.equals("hi\n")) {
            throw new IOException("docker run printed '" + out + "'");
        }
        return new Sample(total, Map.of(), null);
    }

    /** docker create -> docker cp (files in) -> docker start -> docker wait -> docker cp (out) -> docker rm. */
    Sample cp(Path filesDir, int mib) throws IOException, InterruptedException {
        Map<String, Double> phases = new LinkedHashMap<>();
        Path dest = Files.createDirectories(workDir.resolve("cp-out-" + System.nanoTime()));
        Limits limits = Limits.DEFAULTS;
        List<String> create = new ArrayList<>(List.of("create", "--label", BENCH_LABEL + "=true", "--network", "none",
                "-w", "/app", "--memory", Long.toString(limits.memoryBytes()),
                "--memory-swap", Long.toString(limits.memoryBytes()), "--cpus", Double.toString(limits.cpus()),
                "--pids-limit", Long.toString(limits.pids()), "--security-opt", "no-new-privileges"));
        for (String cap : new TreeSet<>(Hardening.DEFAULTS.capDrop())) {
            create.addAll(List.of("--cap-drop", cap));
        }
        create.addAll(List.of("--entrypoint", "sh", image, "-c", bigFileCommand(mib)));
        long t0 = System.nanoTime();
        String id = null;
        try {
            long t = System.nanoTime();
            id = docker(create.toArray(String[]::new)).trim();
            phases.put("create", ms(t));
            t = System.nanoTime();
            docker("cp", filesDir + "/.", id + ":/app");
            phases.put("upload", ms(t));
            t = System.nanoTime();
            docker("start", id);
            phases.put("start", ms(t));
            t = System.nanoTime();
            String exit = docker("wait", id).trim();
            phases.put("wait", ms(t));
            if (!exit.equals("0")) {
                throw new IOException("docker cp contender exited " + exit);
            }
            t = System.nanoTime();
            docker("cp", id + ":/app/out", dest.toString());
            phases.put("extract", ms(t));
            requireSize(dest.resolve("out/big"), (long) mib << 20, "docker cp of /app/out/big");
        } finally {
            if (id != null) {
                long t = System.nanoTime();
                docker("rm", "-f", id);
                phases.put("remove", ms(t));
            }
            deleteTree(dest);
        }
        return new Sample(ms(t0), phases, null);
    }

    /** Runs the docker CLI; returns its stdout; throws with its stderr on a non-zero exit. */
    static String docker(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("docker");
        command.addAll(List.of(args));
        Path err = Files.createTempFile("light-run-bench-docker", ".err");
        try {
            Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(30, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IOException("docker " + args[0] + " did not finish");
            }
            if (process.exitValue() != 0) {
                throw new IOException("docker " + args[0] + " exited " + process.exitValue() + ": "
                        + Files.readString(err).trim());
            }
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    static boolean onPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "docker"))) {
                return true;
            }
        }
        return false;
    }
}
