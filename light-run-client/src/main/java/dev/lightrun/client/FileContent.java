package dev.lightrun.client;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * The content of one file of a run: text (sent as a JSON string) or bytes (sent as {@code {"base64": "..."}}).
 */
public sealed interface FileContent {
    /** Text, written as UTF-8. */
    static FileContent text(String text) {
        return new Text(text);
    }

    /** Any bytes, sent base64-encoded (a third larger on the wire). */
    static FileContent bytes(byte[] bytes) {
        return new Binary(bytes);
    }

    /** Text when {@code bytes} are valid UTF-8 (the smaller request), otherwise binary. */
    static FileContent detect(byte[] bytes) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            // A NUL is valid UTF-8 but says "binary"; keep such files byte-exact through base64.
            return text.indexOf('\0') >= 0 ? new Binary(bytes) : new Text(text);
        } catch (CharacterCodingException e) {
            return new Binary(bytes);
        }
    }

    /** Bytes on the wire before JSON escaping: to stay under the server's body limit (10 MiB by default). */
    long encodedSize();

    record Text(String text) implements FileContent {
        public Text {
            Objects.requireNonNull(text, "text was not specified");
        }

        @Override
        public long encodedSize() {
            return text.length();
        }
    }

    record Binary(byte[] bytes) implements FileContent {
        public Binary {
            bytes = Objects.requireNonNull(bytes, "bytes was not specified").clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        public String base64() {
            return Base64.getEncoder().encodeToString(bytes);
        }

        @Override
        public long encodedSize() {
            return (bytes.length + 2L) / 3 * 4;
        }

        @Override
        public String toString() {
            return "Binary[" + bytes.length + " bytes]";
        }
    }
}
