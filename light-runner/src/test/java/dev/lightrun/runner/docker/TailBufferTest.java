package dev.lightrun.runner.docker;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class TailBufferTest {

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void keepsEverythingUnderTheCapacity() {
        TailBuffer buffer = new TailBuffer(10);
        buffer.append(bytes("abc"));
        buffer.append(bytes("defg"));

        assertThat(buffer.text()).isEqualTo("abcdefg");
        assertThat(buffer.truncated()).isFalse();
    }

    @Test
    void exactlyFullIsNotTruncated() {
        TailBuffer buffer = new TailBuffer(4);
        buffer.append(bytes("ab"));
        buffer.append(bytes("cd"));

        assertThat(buffer.text()).isEqualTo("abcd");
        assertThat(buffer.truncated()).isFalse();
    }

    @Test
    void wrapsAroundKeepingTheLastBytesInOrder() {
        TailBuffer buffer = new TailBuffer(5);
        buffer.append(bytes("abc"));
        buffer.append(bytes("def"));
        assertThat(buffer.text()).isEqualTo("bcdef");
        buffer.append(bytes("gh"));
        assertThat(buffer.text()).isEqualTo("defgh");
        buffer.append(bytes("i"));

        assertThat(buffer.text()).isEqualTo("efghi");
        assertThat(buffer.truncated()).isTrue();
    }

    @Test
    void manySmallChunksWrapManyTimes() {
        TailBuffer buffer = new TailBuffer(7);
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            String chunk = Integer.toString(i % 10);
            buffer.append(bytes(chunk));
            all.append(chunk);
            String expected = all.length() <= 7 ? all.toString() : all.substring(all.length() - 7);
            assertThat(buffer.text()).isEqualTo(expected);
        }
    }

    @Test
    void oversizedChunkKeepsItsTail() {
        TailBuffer buffer = new TailBuffer(4);
        buffer.append(bytes("0123456789"));

        assertThat(buffer.text()).isEqualTo("6789");
        assertThat(buffer.truncated()).isTrue();
    }

    @Test
    void oversizedChunkAfterAWrapKeepsItsTail() {
        TailBuffer buffer = new TailBuffer(4);
        buffer.append(bytes("abc"));
        buffer.append(bytes("0123456789"));
        assertThat(buffer.text()).isEqualTo("6789");
        buffer.append(bytes("xy"));

        assertThat(buffer.text()).isEqualTo("89xy");
    }

    @Test
    void chunkOfExactlyTheCapacityAtAnOffsetReplacesEverything() {
        TailBuffer buffer = new TailBuffer(4);
        buffer.append(bytes("ab"));
        buffer.append(bytes("wxyz"));

        assertThat(buffer.text()).isEqualTo("wxyz");
        assertThat(buffer.truncated()).isTrue();
    }

    @Test
    void zeroCapacityKeepsNothingButKnowsItTruncated() {
        TailBuffer buffer = new TailBuffer(0);
        assertThat(buffer.truncated()).isFalse();
        buffer.append(bytes("abc"));

        assertThat(buffer.text()).isEmpty();
        assertThat(buffer.truncated()).isTrue();
    }

    @Test
    void emptyChunksChangeNothing() {
        TailBuffer buffer = new TailBuffer(3);
        buffer.append(new byte[0]);
        buffer.append(bytes("ab"));
        buffer.append(new byte[0]);

        assertThat(buffer.text()).isEqualTo("ab");
        assertThat(buffer.truncated()).isFalse();
    }
}
