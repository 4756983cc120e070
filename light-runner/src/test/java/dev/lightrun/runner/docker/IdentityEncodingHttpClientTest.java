package dev.lightrun.runner.docker;

import com.github.dockerjava.transport.DockerHttpClient;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class IdentityEncodingHttpClientTest {
    private final List<DockerHttpClient.Request> sent = new ArrayList<>();
    private final DockerHttpClient recorder = new DockerHttpClient() {
        @Override
        public Response execute(Request request) {
            sent.add(request);
            return null;
        }

        @Override
        public void close() {
        }
    };

    @Test
    void asksForUncompressedResponsesKeepingTheRestOfTheRequest() {
        new IdentityEncodingHttpClient(recorder).execute(DockerHttpClient.Request.builder()
                .method(DockerHttpClient.Request.Method.GET).path("/containers/x/archive?path=%2Fapp%2Fout")
                .putHeader("accept", "application/json").build());

        DockerHttpClient.Request request = sent.getFirst();
        assertThat(request.method()).isEqualTo("GET");
        assertThat(request.path()).isEqualTo("/containers/x/archive?path=%2Fapp%2Fout");
        assertThat(request.headers()).containsEntry("Accept-Encoding", "identity").containsEntry("accept", "application/json");
        assertThat(request.bodyBytes()).isNull();
    }

    @Test
    void keepsAnEncodingTheCallerChose() {
        new IdentityEncodingHttpClient(recorder).execute(DockerHttpClient.Request.builder()
                .method(DockerHttpClient.Request.Method.POST).path("/x").bodyBytes(new byte[] {1, 2})
                .putHeader("accept-encoding", "gzip").build());

        assertThat(sent.getFirst().headers()).containsExactlyEntriesOf(Map.of("accept-encoding", "gzip"));
        assertThat(sent.getFirst().bodyBytes()).containsExactly(1, 2);
    }
}
