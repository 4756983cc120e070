package dev.lightrun.server.auth;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The keys file: {@code {"keys": [{"name", "tokenSha256", "scopes", "quota"}]}}, read strictly (unknown fields,
 * duplicate names, duplicate JSON keys, a digest that is not 64 hex digits, an unknown scope, a quota value out of
 * range are each refused with one line naming the key and the field) and written atomically with mode 0600.
 */
public final class KeysFile {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT);
    private static final Set<String> TOP_FIELDS = Set.of("keys");
    private static final Set<String> KEY_FIELDS = Set.of("name", "tokenSha256", "scopes", "quota");
    private static final Set<String> QUOTA_FIELDS = Set.of("maxConcurrent", "maxQueued", "runsPerMinute",
            "maxTimeoutMs", "maxMemory", "maxCpus", "allowedImages");
    private static final Pattern HEX_DIGEST = Pattern.compile("[0-9a-fA-F]{64}");

    private KeysFile() {
    }

    /**
     * The keys of the file at {@code file}.
     *
     * @throws KeysFileException naming the file, and the key and field at fault
     */
    public static List<ApiKey> read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new KeysFileException(file + ": no such file");
        } catch (IOException e) {
            throw new KeysFileException(file + ": cannot be read: " + e.getMessage(), e);
        }
        return parse(bytes, file.toString());
    }

    /** The keys of a file's content; {@code source} names it in messages. */
    public static List<ApiKey> parse(byte[] json, String source) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            String problem = e.getOriginalMessage().replaceAll("\\s*\\(start marker at .*", "").replaceAll("\\s+", " ");
            throw new KeysFileException(source + ": not valid JSON"
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr()) + ": " + problem);
        } catch (IOException e) {
            throw new KeysFileException(source + ": cannot be read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new KeysFileException(source + ": must be an object {\"keys\": [...]}");
        }
        onlyKnownFields(root, TOP_FIELDS, source);
        JsonNode keys = root.path("keys");
        if (!keys.isArray()) {
            throw new KeysFileException(source + ": keys: must be an array");
        }
        List<ApiKey> parsed = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < keys.size(); i++) {
            ApiKey key = key(keys.get(i), source + ": keys[" + i + "]");
            if (!names.add(key.name())) {
                throw new KeysFileException(source + ": key '" + key.name() + "': name: used by another key");
            }
            parsed.add(key);
        }
        return List.copyOf(parsed);
    }

    private static ApiKey key(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new KeysFileException(where + ": must be an object");
        }
        JsonNode name = node.path("name");
        if (!name.isTextual() || !ApiKey.isValidName(name.asText())) {
            throw new KeysFileException(where + ": name: must be 1..64 of A-Z a-z 0-9 . _ - starting with a letter"
                    + " or digit");
        }
        String at = where.substring(0, where.lastIndexOf(": ")) + ": key '" + name.asText() + "'";
        onlyKnownFields(node, KEY_FIELDS, at);
        JsonNode digest = node.path("tokenSha256");
        if (!digest.isTextual() || !HEX_DIGEST.matcher(digest.asText()).matches()) {
            throw new KeysFileException(at + ": tokenSha256: must be the SHA-256 of the token as 64 hex digits");
        }
        Set<Scope> scopes = scopes(node.path("scopes"), at);
        Quota quota = quota(node.path("quota"), at);
        return new ApiKey(name.asText(), HexFormat.of().parseHex(digest.asText()), scopes, quota);
    }

    private static Set<Scope> scopes(JsonNode node, String at) {
        if (!node.isArray() || node.isEmpty()) {
            throw new KeysFileException(at + ": scopes: must be a non-empty array of run, read, build, networks, admin");
        }
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (JsonNode scope : node) {
            if (!scope.isTextual()) {
                throw new KeysFileException(at + ": scopes: must be strings");
            }
            try {
                scopes.add(Scope.parse(scope.asText()));
            } catch (IllegalArgumentException e) {
                throw new KeysFileException(at + ": scopes: " + e.getMessage());
            }
        }
        return scopes;
    }

    private static Quota quota(JsonNode node, String at) {
        if (node.isMissingNode() || node.isNull()) {
            return Quota.UNLIMITED;
        }
        if (!node.isObject()) {
            throw new KeysFileException(at + ": quota: must be an object");
        }
        onlyKnownFields(node, QUOTA_FIELDS, at + ": quota");
        Long timeout = integer(node, "maxTimeoutMs", at, 1);
        Long memory = integer(node, "maxMemory", at, 1);
        JsonNode cpus = node.path("maxCpus");
        Double maxCpus = null;
        if (!cpus.isMissingNode() && !cpus.isNull()) {
            if (!cpus.isNumber() || !(cpus.asDouble() > 0) || Double.isInfinite(cpus.asDouble())) {
                throw new KeysFileException(at + ": quota.maxCpus: must be a positive number");
            }
            maxCpus = cpus.asDouble();
        }
        List<String> images = null;
        JsonNode allowed = node.path("allowedImages");
        if (!allowed.isMissingNode() && !allowed.isNull()) {
            if (!allowed.isArray() || allowed.isEmpty()) {
                throw new KeysFileException(at + ": quota.allowedImages: must be a non-empty array of image globs");
            }
            images = new ArrayList<>();
            for (JsonNode image : allowed) {
                if (!image.isTextual() || image.asText().isBlank() || image.asText().length() > 300) {
                    throw new KeysFileException(at + ": quota.allowedImages: must be image globs of 1..300 characters");
                }
                images.add(image.asText().trim());
            }
        }
        try {
            return new Quota(intOrNull(integer(node, "maxConcurrent", at, 1)), intOrNull(integer(node, "maxQueued", at, 0)),
                    intOrNull(integer(node, "runsPerMinute", at, 1)), timeout == null ? null : Duration.ofMillis(timeout),
                    memory, maxCpus, images);
        } catch (IllegalArgumentException e) {
            throw new KeysFileException(at + ": quota." + e.getMessage());
        }
    }

    /** A whole number of at least {@code min}, or null when absent; at most {@link Integer#MAX_VALUE}. */
    private static Long integer(JsonNode quota, String field, String at, long min) {
        JsonNode value = quota.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asLong() < min) {
            throw new KeysFileException(at + ": quota." + field + ": must be a whole number >= " + min
                    + (min == 1 ? " (positive)" : ""));
        }
        return value.asLong();
    }

    private static Integer intOrNull(Long value) {
        return value == null ? null : Math.toIntExact(value);
    }

    private static void onlyKnownFields(JsonNode node, Set<String> known, String at) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String field = names.next();
            if (!known.contains(field)) {
                throw new KeysFileException(at + ": " + field + ": unknown field; known: "
                        + known.stream().sorted().toList());
            }
        }
    }

    /** The file's JSON for these keys (digests in lower-case hex; quota fields only where set). */
    public static byte[] toJson(List<ApiKey> keys) {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode array = root.putArray("keys");
        for (ApiKey key : keys) {
            ObjectNode node = array.addObject();
            node.put("name", key.name());
            node.put("tokenSha256", Tokens.hex(key.tokenSha256()));
            ArrayNode scopes = node.putArray("scopes");
            key.sortedScopes().forEach(scope -> scopes.add(scope.json()));
            ObjectNode quota = quotaJson(key.quota());
            if (!quota.isEmpty()) {
                node.set("quota", quota);
            }
        }
        try {
            return MAPPER.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write keys as JSON", e);
        }
    }

    /** The quota as the file and {@code keys list} write it: only the fields that are set. */
    public static ObjectNode quotaJson(Quota quota) {
        ObjectNode node = MAPPER.createObjectNode();
        if (quota.maxConcurrent() != null) {
            node.put("maxConcurrent", quota.maxConcurrent());
        }
        if (quota.maxQueued() != null) {
            node.put("maxQueued", quota.maxQueued());
        }
        if (quota.runsPerMinute() != null) {
            node.put("runsPerMinute", quota.runsPerMinute());
        }
        if (quota.maxTimeout() != null) {
            node.put("maxTimeoutMs", quota.maxTimeout().toMillis());
        }
        if (quota.maxMemoryMib() != null) {
            node.put("maxMemory", quota.maxMemoryMib());
        }
        if (quota.maxCpus() != null) {
            node.put("maxCpus", quota.maxCpus());
        }
        if (quota.allowedImages() != null) {
            ArrayNode images = node.putArray("allowedImages");
            quota.allowedImages().forEach(images::add);
        }
        return node;
    }

    /**
     * Replaces the file with these keys: written to a temporary file (mode 0600) in the same folder, then moved over
     * it atomically, so a server reloading it never reads half a file.
     */
    public static void write(Path file, List<ApiKey> keys) throws IOException {
        Path folder = file.toAbsolutePath().getParent();
        Files.createDirectories(folder);
        Path temp = Files.createTempFile(folder, "." + file.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(temp, toJson(keys));
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
