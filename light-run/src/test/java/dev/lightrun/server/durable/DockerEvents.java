package dev.lightrun.server.durable;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * What Docker does to the containers of some server instances, as {@code docker events} streams it while the test
 * runs. Streamed rather than asked afterwards: the daemon keeps only its last few hundred events, and other sessions
 * share it.
 */
final class DockerEvents implements AutoCloseable {
    /** One thing Docker did to a container ({@code create}, {@code start}, {@code die}, ...). */
    record Event(String instance, String containerId, String runId, long timeNano, String action) {
    }

    private final Process process;
    private final Set<String> instances;
    private final List<Event> events = new CopyOnWriteArrayList<>();

    private DockerEvents(Process process, Set<String> instances) {
        this.process = process;
        this.instances = instances;
        Thread.ofVirtual().name("docker-events").start(this::read);
    }

    /** Starts watching the containers labelled with one of these instances, from now on. */
    static DockerEvents watch(List<String> instances) {
        Instant now = Instant.now();
        List<String> command = new ArrayList<>(List.of("docker", "events",
                // From a moment before the stream is open, so that nothing in between is missed.
                "--since", now.getEpochSecond() + "." + String.format("%09d", now.getNano()),
                // Label filters are and-ed: any instance here, this test's picked out as they come.
                "--filter", "type=container", "--filter", "label=dev.lightrun.instance",
                "--format", "{{index .Actor.Attributes \"dev.lightrun.instance\"}} {{.Actor.ID}}"
                // The action last: an exec's holds its command line, spaces included.
                + " {{index .Actor.Attributes \"dev.lightrun.run-id\"}} {{.TimeNano}} {{.Action}}"));
        try {
            return new DockerEvents(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start(),
                    Set.copyOf(instances));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void read() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                String[] fields = line.split(" ", 5);
                if (instances.contains(fields[0])) {
                    events.add(new Event(fields[0], fields[1], fields[2], Long.parseLong(fields[3]), fields[4]));
                }
            }
        } catch (IOException e) {
            // the stream closes with the process
        }
    }

    /** The events so far, oldest first. */
    List<Event> events() {
        return List.copyOf(events);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
