package dev.lightrun.server.artifacts.s3;

import dev.lightrun.server.artifacts.ArtifactObject;
import dev.lightrun.server.model.RunIds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The S3 artifact store against a real S3-compatible server (s3proxy of {@code scripts/dev-services.sh}), each test
 * under a prefix of its own, removed afterwards.
 */
class S3ArtifactStoreIT {
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path staging;
    private S3Client client;
    private S3ArtifactStore store;
    private String prefix;

    @BeforeEach
    void open() {
        client = S3TestBucket.client();
        prefix = "it-" + UUID.randomUUID();
        store = new S3ArtifactStore(client, new S3Location(S3TestBucket.bucket(), prefix), staging,
                S3ArtifactStore.DEFAULT_PART_BYTES);
    }

    @AfterEach
    void removePrefix() throws IOException {
        for (String run : store.runsOnDisk()) {
            store.delete(run);
        }
        assertThat(client.listObjectsV2(b -> b.bucket(S3TestBucket.bucket()).prefix(prefix + "/")).contents())
                .as("nothing left under " + prefix).isEmpty();
        client.close();
    }

    @Test
    void publishedFilesAreListedReadWithRangesAndDeleted() throws Exception {
        String run = RunIds.next();
        Path folder = store.folderOf(run);
        Files.createDirectories(folder.resolve("out/deep"));
        Files.writeString(folder.resolve("out/a.txt"), "hello, s3");
        Files.writeString(folder.resolve("out/deep/b.txt"), "b");
        Files.write(folder.resolve("out/empty"), new byte[0]);
        Path outside = Files.writeString(staging.resolve("secret.txt"), "not an artifact");
        Files.createSymbolicLink(folder.resolve("out/link"), outside);

        store.publish(run);

        assertThat(folder).as("the staging folder is removed after the upload").doesNotExist();
        ArtifactObject a = store.open(run, "out/a.txt").orElseThrow();
        assertThat(a.isFolder()).isFalse();
        assertThat(a.size()).isEqualTo(9);
        assertThat(a.name()).isEqualTo("a.txt");
        assertThat(a.localFile()).isEmpty();
        assertThat(read(a, 0, 9)).isEqualTo("hello, s3");
        assertThat(read(a, 7, 2)).isEqualTo("s3");
        assertThat(read(a, 0, 0)).isEmpty();
        assertThat(store.open(run, "out/empty").orElseThrow().size()).isZero();
        assertThat(store.open(run, "out").orElseThrow().isFolder()).isTrue();
        assertThat(store.open(run, "out/deep/").orElseThrow().isFolder()).isTrue();
        assertThat(store.open(run, "out/link")).as("a link is never uploaded").isEmpty();
        assertThat(store.open(run, "out/missing")).isEmpty();
        assertThat(store.open(run, "out/../../" + prefix)).isEmpty();
        assertThat(store.open(run, "/out/a.txt")).isEmpty();
        assertThat(store.runsOnDisk()).containsExactly(run);

        store.delete(run);
        assertThat(store.open(run, "out/a.txt")).isEmpty();
        assertThat(store.runsOnDisk()).isEmpty();
    }

    @Test
    void evictionOrderAndTotalsComeFromRecordedSizesAndDeletionFreesThem() throws Exception {
        String older = RunIds.next();
        String newer = RunIds.next();
        for (String run : new String[] {older, newer}) {
            Files.createDirectories(store.folderOf(run));
            Files.writeString(store.folderOf(run).resolve("f"), run);
            store.publish(run);
            store.recordFinished(run, 100);
        }
        assertThat(store.totalBytes()).isEqualTo(200);
        assertThat(store.runsOldestFirst()).containsExactly(older, newer);
        store.delete(store.runsOldestFirst().getFirst());
        assertThat(store.totalBytes()).isEqualTo(100);
        assertThat(store.runsOldestFirst()).containsExactly(newer);
        assertThat(store.runsOnDisk()).containsExactly(newer);
        assertThat(store.open(older, "f")).isEmpty();
        assertThat(read(store.open(newer, "f").orElseThrow(), 0, newer.length())).isEqualTo(newer);
    }

    @Test
    void a256MibFileGoesUpInPartsAndComesBackByteExactWithFlatHeap() throws Exception {
        String run = RunIds.next();
        Path big = Files.createDirectories(store.folderOf(run).resolve("out")).resolve("big");
        int chunks = 256;
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        try (OutputStream out = Files.newOutputStream(big)) {
            for (int i = 0; i < chunks; i++) {
                byte[] chunk = chunk(i);
                written.update(chunk);
                out.write(chunk);
            }
        }
        long size = (long) chunks * MIB;
        HeapWatch watch = HeapWatch.start();
        long began = System.nanoTime();
        store.publish(run);
        long uploadMs = (System.nanoTime() - began) / 1_000_000;
        ArtifactObject object = store.open(run, "out/big").orElseThrow();
        assertThat(object.size()).isEqualTo(size);

        began = System.nanoTime();
        MessageDigest read = MessageDigest.getInstance("SHA-256");
        try (InputStream in = object.stream(0, size)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                read.update(buffer, 0, n);
            }
        }
        long downloadMs = (System.nanoTime() - began) / 1_000_000;
        assertThat(HexFormat.of().formatHex(read.digest())).isEqualTo(HexFormat.of().formatHex(written.digest()));

        // Two ranges: one across a part boundary (16 MiB), one at the very end.
        long across = 16L * MIB - 1000;
        assertThat(readBytes(object, across, 3000)).isEqualTo(expected(across, 3000));
        long tail = size - 777;
        assertThat(readBytes(object, tail, 777)).isEqualTo(expected(tail, 777));
        long peak = watch.stop();
        System.out.printf("[s3] 256 MiB: upload %d ms, download %d ms, heap used before %d MiB, peak %d MiB,"
                        + " after GC %d MiB%n", uploadMs, downloadMs, watch.baseline / MIB, peak / MIB,
                HeapWatch.usedAfterGc() / MIB);
        assertThat(HeapWatch.usedAfterGc() - watch.baseline).as("heap kept after the transfers")
                .isLessThan(32L * MIB);
        assertThat(big).doesNotExist();
    }

    private static byte[] chunk(int index) {
        byte[] bytes = new byte[MIB];
        new SplittableRandom(index).nextBytes(bytes);
        return bytes;
    }

    private static byte[] expected(long offset, int length) {
        byte[] out = new byte[length];
        for (int done = 0; done < length; ) {
            long at = offset + done;
            byte[] chunk = chunk((int) (at / MIB));
            int from = (int) (at % MIB);
            int n = Math.min(length - done, MIB - from);
            System.arraycopy(chunk, from, out, done, n);
            done += n;
        }
        return out;
    }

    private static byte[] readBytes(ArtifactObject object, long offset, long length) throws IOException {
        try (InputStream in = object.stream(offset, length)) {
            return in.readAllBytes();
        }
    }

    private static String read(ArtifactObject object, long offset, long length) throws IOException {
        return new String(readBytes(object, offset, length), StandardCharsets.UTF_8);
    }

    /**
     * The heap's high-water mark during the transfers, as the JVM tracks it per heap pool (no sampling thread): what a
     * whole-file buffer would show as a 256 MiB step. The sum of the pools' peaks bounds the heap's peak from above.
     */
    private static final class HeapWatch {
        private final long baseline = usedAfterGc();

        static HeapWatch start() {
            HeapWatch watch = new HeapWatch();
            heapPools().forEach(MemoryPoolMXBean::resetPeakUsage);
            return watch;
        }

        long stop() {
            return heapPools().stream().mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
        }

        private static List<MemoryPoolMXBean> heapPools() {
            return ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(pool -> pool.getType() == MemoryType.HEAP).toList();
        }

        static long usedAfterGc() {
            System.gc();
            return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        }
    }
}
