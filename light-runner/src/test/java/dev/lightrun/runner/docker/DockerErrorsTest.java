package dev.lightrun.runner.docker;

import com.github.dockerjava.api.exception.InternalServerErrorException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DockerErrorsTest {

    @Test
    void daemonMessageKeepsOnlyTheDaemonsWords() {
        var failure = new InternalServerErrorException("Status 500: {\"message\":\"No such image: busybox:nope\"}\n");

        assertThat(DockerErrors.daemonMessage(failure)).isEqualTo("No such image: busybox:nope");
    }

    @Test
    void daemonMessageKeepsEscapedQuotesInsideTheMessage() {
        var failure = new InternalServerErrorException("Status 500: {\"message\":\"Get \\\"https://registry-1.docker.io/v2/\\\":"
                + " dial tcp: lookup registry-1.docker.io: no such host\"}\n");

        assertThat(DockerErrors.daemonMessage(failure))
                .isEqualTo("Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host");
    }

    @Test
    void daemonMessageTurnsEscapedNewlinesIntoSpaces() {
        var failure = new InternalServerErrorException("Status 500: {\"message\":\"line one\\nline two\"}");

        assertThat(DockerErrors.daemonMessage(failure)).isEqualTo("line one line two");
    }

    @Test
    void daemonMessageDecodesUnicodeEscapes() {
        var failure = new InternalServerErrorException("Status 400: {\"message\":\"a \\u003cnone\\u003e tag\"}");

        assertThat(DockerErrors.daemonMessage(failure)).isEqualTo("a <none> tag");
    }

    @Test
    void messageWithoutJsonIsKeptOnOneLine() {
        assertThat(DockerErrors.daemonMessage(new IllegalStateException("plain\nwords"))).isEqualTo("plain words");
    }
}
