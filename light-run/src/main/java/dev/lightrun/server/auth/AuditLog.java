package dev.lightrun.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The audit log: one JSON line per mutating request in {@code <data dir>/audit.jsonl}, appended as each answer is
 * sent. Past {@code maxBytes} the file is rotated ({@code audit.jsonl} becomes {@code .1}, {@code .1} becomes {@code .2},
 * ...; {@code keep} rotated files are kept). Thread-safe; a failure to write is logged, never fails the request.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
    public static final String FILE_NAME = "audit.jsonl";
    /** 10 MiB per file and 5 rotated ones: 60 MiB at most, some hundred thousand requests. */
    public static final long MAX_BYTES = 10L * 1024 * 1024;
    public static final int KEEP = 5;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path file;
    private final long maxBytes;
    private final int keep;
    private final ReentrantLock lock = new ReentrantLock();
    private OutputStream out;
    private long size;

    public AuditLog(Path dataDir) {
        this(dataDir, MAX_BYTES, KEEP);
    }

    public AuditLog(Path dataDir, long maxBytes, int keep) {
        this.file = dataDir.resolve(FILE_NAME);
        this.maxBytes = maxBytes;
        this.keep = keep;
    }

    public Path file() {
        return file;
    }

    /** Appends one line (rotating first when it would pass the size limit). */
    public void append(AuditEntry entry) {
        byte[] line = line(entry);
        lock.lock();
        try {
            if (out == null) {
                open();
            }
            if (size > 0 && size + line.length > maxBytes) {
                rotate();
            }
            out.write(line);
            out.flush();
            size += line.length;
        } catch (IOException | UncheckedIOException e) {
            log.error("audit - cannot write {}: {}", file, e.getMessage());
            closeQuietly();
        } finally {
            lock.unlock();
        }
    }

    /** The JSON line of an entry, with its newline. */
    static byte[] line(AuditEntry entry) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("time", entry.time().toString());
        node.put("key", entry.key());
        node.put("address", entry.address());
        node.put("method", entry.method());
        node.put("route", entry.route());
        if (entry.runId() != null) {
            node.put("runId", entry.runId());
        }
        node.put("status", entry.status());
        return (node + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Entries at or after {@code since} (null: from the oldest kept), oldest first, at most {@code limit}. Lines that
     * are not entries (a line cut short by a crash) are skipped.
     */
    public List<AuditEntry> read(Instant since, int limit) {
        List<AuditEntry> entries = new ArrayList<>();
        lock.lock();
        try {
            for (int i = keep; i >= 0 && entries.size() < limit; i--) {
                Path part = i == 0 ? file : rotated(i);
                if (!Files.isRegularFile(part)) {
                    continue;
                }
                try (BufferedReader reader = Files.newBufferedReader(part, StandardCharsets.UTF_8)) {
                    for (String line = reader.readLine(); line != null && entries.size() < limit;
                         line = reader.readLine()) {
                        AuditEntry entry = parse(line);
                        if (entry != null && (since == null || !entry.time().isBefore(since))) {
                            entries.add(entry);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the audit log " + file, e);
        } finally {
            lock.unlock();
        }
        return entries;
    }

    private static AuditEntry parse(String line) {
        try {
            JsonNode node = MAPPER.readTree(line);
            return new AuditEntry(Instant.parse(node.path("time").asText()), text(node, "key"), text(node, "address"),
                    node.path("method").asText(), text(node, "route"), text(node, "runId"),
                    node.path("status").asInt());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isTextual() ? value.asText() : null;
    }

    private Path rotated(int index) {
        return file.resolveSibling(FILE_NAME + "." + index);
    }

    private void open() throws IOException {
        Files.createDirectories(file.getParent());
        out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
        size = Files.size(file);
    }

    private void rotate() throws IOException {
        closeQuietly();
        Files.deleteIfExists(rotated(keep));
        for (int i = keep - 1; i >= 1; i--) {
            if (Files.exists(rotated(i))) {
                Files.move(rotated(i), rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (keep >= 1) {
            Files.move(file, rotated(1), StandardCopyOption.REPLACE_EXISTING);
        } else {
            Files.delete(file);
        }
        open();
    }

    private void closeQuietly() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                log.debug("audit - closing {} failed: {}", file, e.getMessage());
            }
            out = null;
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closeQuietly();
        } finally {
            lock.unlock();
        }
    }
}
