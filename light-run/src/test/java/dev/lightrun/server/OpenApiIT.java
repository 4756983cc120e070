package dev.lightrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The OpenAPI document describes exactly the routes the server registers. */
class OpenApiIT {
    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "options", "head",
            "patch", "trace");

    @RegisterExtension
    static final TestServer server = TestServer.extension();

    @Test
    void documentIsOpenApi31WithTheServerVersion() {
        TestServer.Response response = server.get("/openapi.json");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Content-Type")).startsWith("application/json");
        JsonNode doc = response.json();
        assertThat(doc.path("openapi").asText()).matches("3\\.1\\.\\d+");
        assertThat(doc.path("info").path("title").asText()).isEqualTo("light-run");
        assertThat(doc.path("info").path("version").asText()).isEqualTo(LightRunServer.version());
        assertThat(doc.path("paths").isObject()).isTrue();
    }

    @Test
    void pathsAreExactlyTheRegisteredRoutes() {
        JsonNode paths = server.get("/openapi.json").json().path("paths");
        Set<String> documented = new TreeSet<>();
        paths.properties().forEach(path -> path.getValue().properties().forEach(operation -> {
            if (HTTP_METHODS.contains(operation.getKey())) {
                documented.add(operation.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey());
                assertThat(operation.getValue().path("responses").isObject())
                        .as("%s %s has responses", operation.getKey(), path.getKey()).isTrue();
            }
        }));
        Set<String> registered = new TreeSet<>();
        for (String route : server.server.routes()) {
            registered.add(route.replaceAll("\\{(\\w+)}", "{$1}").replaceAll("<(\\w+)>", "{$1}"));
        }

        assertThat(registered).as("registered routes").isNotEmpty().contains("GET /health", "POST /run");
        assertThat(documented).as("documented but not registered").isSubsetOf(registered);
        assertThat(registered).as("registered but not documented").isSubsetOf(documented);
    }

    @Test
    void everyPathParameterIsDeclaredAndEveryReferenceResolves() {
        JsonNode doc = server.get("/openapi.json").json();
        doc.path("paths").properties().forEach(path -> {
            Set<String> wanted = new TreeSet<>();
            Matcher m = Pattern.compile("\\{(\\w+)}").matcher(path.getKey());
            while (m.find()) {
                wanted.add("path:" + m.group(1));
            }
            path.getValue().properties().forEach(operation -> {
                if (!HTTP_METHODS.contains(operation.getKey())) {
                    return;
                }
                Set<String> declared = new TreeSet<>();
                for (JsonNode list : List.of(path.getValue().path("parameters"),
                        operation.getValue().path("parameters"))) {
                    list.forEach(p -> {
                        JsonNode parameter = resolve(doc, p);
                        if (parameter.path("in").asText().equals("path")) {
                            declared.add("path:" + parameter.path("name").asText());
                        }
                    });
                }
                assertThat(declared).as("path parameters of %s %s", operation.getKey(), path.getKey())
                        .isEqualTo(wanted);
            });
        });
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(ref).startsWith("#/");
            assertThat(doc.at(ref.substring(1)).isMissingNode()).as("%s resolves", ref).isFalse();
        }
    }

    private static JsonNode resolve(JsonNode doc, JsonNode node) {
        return node.has("$ref") ? doc.at(node.path("$ref").asText().substring(1)) : node;
    }

    private static void collectRefs(JsonNode node, List<String> refs) {
        if (node.isObject()) {
            node.properties().forEach(e -> {
                if (e.getKey().equals("$ref")) {
                    refs.add(e.getValue().asText());
                } else {
                    collectRefs(e.getValue(), refs);
                }
            });
        } else if (node.isArray()) {
            node.forEach(child -> collectRefs(child, refs));
        }
    }
}
