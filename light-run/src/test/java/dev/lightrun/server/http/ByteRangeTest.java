package dev.lightrun.server.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code Range: bytes=...} against a file of 100 bytes unless said otherwise. */
class ByteRangeTest {
    private static final long SIZE = 100;

    @Test
    void closedRangeIsServedAsAsked() {
        ByteRange range = ByteRange.parse("bytes=0-9", SIZE);

        assertThat(range).isEqualTo(new ByteRange(0, 9));
        assertThat(range.length()).isEqualTo(10);
    }

    @Test
    void openRangeRunsToTheEnd() {
        assertThat(ByteRange.parse("bytes=5-", SIZE)).isEqualTo(new ByteRange(5, 99));
    }

    @Test
    void suffixRangeIsTheLastBytes() {
        ByteRange range = ByteRange.parse("bytes=-3", SIZE);

        assertThat(range).isEqualTo(new ByteRange(97, 99));
        assertThat(range.length()).isEqualTo(3);
    }

    @Test
    void suffixLongerThanTheFileIsTheWholeFile() {
        assertThat(ByteRange.parse("bytes=-500", SIZE)).isEqualTo(new ByteRange(0, 99));
    }

    @Test
    void lastPastTheEndIsClampedToTheEnd() {
        assertThat(ByteRange.parse("bytes=90-1000", SIZE)).isEqualTo(new ByteRange(90, 99));
    }

    @Test
    void singleLastByte() {
        assertThat(ByteRange.parse("bytes=99-99", SIZE)).isEqualTo(new ByteRange(99, 99));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=100-", "bytes=100-200", "bytes=5-2", "bytes=-0"})
    void rangeOutsideTheFileIsUnsatisfiable(String header) {
        assertThatThrownBy(() -> ByteRange.parse(header, SIZE)).isInstanceOf(ByteRange.Unsatisfiable.class)
                .hasMessage("range not satisfiable");
    }

    @Test
    void suffixOfAnEmptyFileIsUnsatisfiable() {
        assertThatThrownBy(() -> ByteRange.parse("bytes=-1", 0)).isInstanceOf(ByteRange.Unsatisfiable.class);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "bytes=a-b", "bytes=1-x", "bytes=5", "items=0-9", "bytes=0-1,5-6", "Bytes=0-9"})
    void absentMalformedOrMultipleRangesServeTheWholeFile(String header) {
        assertThat(ByteRange.parse(header, SIZE)).isNull();
    }
}
