package dev.lightrun.server.ui;

import com.deque.html.axecore.results.Results;
import com.deque.html.axecore.results.Rule;
import com.deque.html.axecore.selenium.AxeBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lightrun.server.TestServer;
import dev.lightrun.server.auth.ApiKey;
import dev.lightrun.server.auth.KeysFile;
import dev.lightrun.server.auth.Tokens;
import dev.lightrun.server.model.Quota;
import dev.lightrun.server.model.Scope;
import dev.lightrun.server.store.PostgresTestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static dev.lightrun.server.TestServer.busybox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The dashboard at /ui, end to end: a real server and real containers, driven by Debian's headless Chromium through
 * Selenium, with an axe-core accessibility check of each page (no serious or critical violation). Screenshots go to
 * {@code target/ui-screenshots/}. Chromium missing is a failure, not a skip: {@code scripts/browser-up.sh} installs it.
 */
class DashboardIT {
    static final String TOKEN = "dashboard-test-token-7c2e";
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target", "ui-screenshots");
    static final Dimension DESKTOP = new Dimension(1200, 860);
    static final Dimension PHONE = new Dimension(375, 812);

    /** Two tenants' keys besides the admin token, in a keys file written before the server starts. */
    static final String TEAM_A = "lr_dashboard-team-a-3b9d";
    static final String TEAM_B = "lr_dashboard-team-b-81f0";

    @RegisterExtension
    static final TestServer server = TestServer.extension(c -> c.token(TOKEN).keysFile(writeKeysFile()));

    static ChromeDriver driver;
    static Path downloads;

    @BeforeAll
    static void startBrowser() throws IOException {
        assertThat(CHROMIUM).as("Chromium is needed for the dashboard tests: run scripts/browser-up.sh").isExecutable();
        assertThat(CHROMEDRIVER).as("chromedriver is needed for the dashboard tests: run scripts/browser-up.sh").isExecutable();
        downloads = Files.createTempDirectory("light-run-ui-downloads-");
        Files.createDirectories(SCREENSHOTS);
        ChromeOptions options = new ChromeOptions();
        // Both paths explicit, so Selenium Manager never looks for (or downloads) a browser or a driver.
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=" + DESKTOP.width + "," + DESKTOP.height, "--lang=en-US");
        options.setExperimentalOption("prefs", Map.of(
                "download.default_directory", downloads.toString(),
                "download.prompt_for_download", false,
                "safebrowsing.enabled", false));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().window().setSize(DESKTOP);
    }

    static Path keysFolder;

    static Path writeKeysFile() {
        try {
            keysFolder = Files.createTempDirectory("light-run-ui-keys-");
            Path file = keysFolder.resolve("keys.json");
            KeysFile.write(file, List.of(
                    new ApiKey("team-a", Tokens.sha256(TEAM_A), Set.of(Scope.RUN, Scope.READ), Quota.UNLIMITED),
                    new ApiKey("team-b", Tokens.sha256(TEAM_B), Set.of(Scope.RUN, Scope.READ), Quota.UNLIMITED)));
            return file;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stopBrowser() throws IOException {
        if (driver != null) {
            driver.quit();
        }
        for (Path folder : java.util.Arrays.asList(downloads, keysFolder)) {
            if (folder == null) {
                continue;
            }
            try (Stream<Path> tree = Files.walk(folder)) {
                for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    @BeforeEach
    void freshTab() {
        driver.manage().window().setSize(DESKTOP);
        driver.get(base() + "/ui/");
        ((JavascriptExecutor) driver).executeScript("sessionStorage.clear()");
        driver.navigate().refresh();
        waitFor(By.id("token"));
        driver.manage().logs().get("browser"); // reading the browser's console log empties it: each test sees its own

    }

    @Test
    void signInRefusesAWrongTokenAndKeepsTheRightOneOutOfTheUrl() {
        screenshot("sign-in");
        assertNoSeriousAccessibilityViolations("sign-in");
        driver.findElement(By.id("token")).sendKeys("not-the-token", Keys.ENTER);
        assertThat(waitFor(By.id("signin-error")).getText()).contains("That token was refused");

        signIn();
        assertThat(driver.getCurrentUrl()).doesNotContain(TOKEN);
        assertThat(driver.manage().getCookies()).isEmpty();
        Object stored = ((JavascriptExecutor) driver).executeScript("return sessionStorage.getItem('light-run.token')");
        assertThat(stored).isEqualTo(TOKEN);
    }

    @Test
    void runsPageListsRunsLiveAndFiltersByStatus() {
        JsonNode ok = server.runSync(busybox("echo listed"));
        JsonNode bad = server.runSync(busybox("exit 4"));
        signIn();
        waitFor(By.cssSelector("tr[data-run='" + ok.path("id").asText() + "']"));
        waitFor(By.cssSelector("tr[data-run='" + bad.path("id").asText() + "']"));
        screenshot("runs");
        assertNoSeriousAccessibilityViolations("runs");

        // live: a run started elsewhere appears without a reload
        String live = server.runDetached(busybox("sleep 1"));
        waitFor(By.cssSelector("tr[data-run='" + live + "']"));

        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("f-status"))).selectByValue("failed");
        awaitTrue(() -> driver.findElements(By.cssSelector("tr[data-run='" + ok.path("id").asText() + "']")).isEmpty());
        assertThat(driver.findElements(By.cssSelector("tr[data-run='" + bad.path("id").asText() + "']"))).hasSize(1);

        driver.manage().window().setSize(PHONE);
        screenshot("runs-phone");
        assertNoSeriousAccessibilityViolations("runs at 375 px");
        server.awaitFinished(live);
    }

    @Test
    void formStartsARunWhoseLogsArriveWhileItRuns() {
        signIn();
        open("#/new");
        WebElement image = waitFor(By.id("f-image"));
        assertNoSeriousAccessibilityViolations("new run");
        image.sendKeys(TestServer.BUSYBOX);
        WebElement content = driver.findElement(By.cssSelector(".file-content"));
        content.clear();
        content.sendKeys("echo first line; sleep 2; echo 'to stderr' >&2; echo last line");
        screenshot("new-run");
        driver.findElement(By.id("submit-run")).click();

        WebElement first = waitFor(By.xpath("//pre[@id='logs']//span[contains(@class,'stdout')][contains(., 'first line')]"));
        String id = runIdFromUrl();
        // The first line is on screen while the run still sleeps: the log is followed live.
        assertThat(server.get("/runs/" + id).json().path("status").asText()).isEqualTo("running");
        assertThat(driver.findElements(By.xpath("//pre[@id='logs']//span[contains(., 'last line')]"))).isEmpty();
        assertThat(first.isDisplayed()).isTrue();

        waitFor(By.xpath("//p[@id='log-status'][contains(., 'Log complete')]"));
        WebElement stderr = driver.findElement(By.xpath("//pre[@id='logs']/span[contains(@class, 'line')][contains(., 'to stderr')]"));
        assertThat(stderr.getAttribute("class")).contains("stderr");
        assertThat(stderr.getText()).startsWith("err");
        awaitTrue(() -> driver.findElement(By.cssSelector("#run-summary .badge")).getText().equals("succeeded"));
        waitFor(By.cssSelector("#timings-chart [data-phase='run']"));
        assertThat(driver.findElements(By.cssSelector("[data-action='delete']"))).hasSize(1);
        assertThat(driver.findElements(By.cssSelector("[data-action='cancel']"))).isEmpty();
        assertNoSeriousAccessibilityViolations("run");
        driver.manage().window().setSize(new Dimension(DESKTOP.width, 1400)); // the whole page, for the docs
        screenshot("run");
    }

    @Test
    void failedRunShowsItsErrorInWords() {
        JsonNode failed = server.runSync(busybox("echo oops >&2; exit 3"));
        signIn();
        open("#/runs/" + failed.path("id").asText());
        awaitTrue(() -> waitFor(By.id("run-error")).getText().contains("NONZERO_EXIT"));
        assertThat(waitFor(By.id("run-error")).getText()).contains("exited with a non-zero code")
                .contains(failed.path("error").asText());
        assertThat(driver.findElement(By.id("exit-code")).getText()).isEqualTo("3");
        assertThat(driver.findElements(By.id("run-replica"))).as("a server that runs alone names no replica").isEmpty();
        waitFor(By.xpath("//pre[@id='logs']//span[contains(@class,'stderr')][contains(., 'oops')]"));
        screenshot("run-failed");
        assertNoSeriousAccessibilityViolations("failed run");
        driver.manage().window().setSize(PHONE);
        screenshot("run-phone");
        assertNoSeriousAccessibilityViolations("failed run at 375 px");
    }

    @Test
    void aRunOnAReplicaShowsWhichReplicaRanIt(@TempDir Path root) throws IOException {
        try (PostgresTestDatabase database = PostgresTestDatabase.create();
             TestServer replica = TestServer.start(Files.createDirectories(root.resolve("artifacts")), c -> c.token(TOKEN).storeUrl(database.url())
                     .replica("replica-ui", null, Duration.ofSeconds(1), Duration.ofSeconds(10)))) {
            JsonNode done = replica.runSync(busybox("echo on a replica"));
            assertThat(done.path("replica").asText()).isEqualTo("replica-ui");

            driver.get(replica.uri("/ui/").toString());
            signIn();
            open("#/runs/" + done.path("id").asText());

            assertThat(waitFor(By.id("run-replica")).getText()).isEqualTo("replica-ui");
            assertNoSeriousAccessibilityViolations("run on a replica");
        }
    }

    @Test
    void withoutDetachedTheFormWaitsForTheEndThenShowsTheRun() {
        signIn();
        open("#/new");
        waitFor(By.id("f-image")).sendKeys(TestServer.BUSYBOX);
        WebElement detached = driver.findElement(By.id("f-detached"));
        assertThat(detached.isSelected()).isTrue();
        detached.click();
        driver.findElement(By.id("submit-run")).click();
        waitFor(By.xpath("//pre[@id='logs']//span[contains(., 'hello from light-run')]"));
        assertThat(driver.findElement(By.cssSelector("#run-summary .badge")).getText()).isEqualTo("succeeded");
        assertThat(server.get("/runs/" + runIdFromUrl()).json().path("detached").asBoolean()).isFalse();
    }

    @Test
    void artifactDownloadHasTheSameBytes() throws IOException {
        var body = busybox("mkdir -p out && head -c 5000 /dev/urandom > out/data.bin && echo made");
        body.putArray("extract").add("/app/out");
        JsonNode run = server.runSync(body);
        String id = run.path("id").asText();
        byte[] expected = server.get("/runs/" + id + "/artifacts/out/data.bin").body();
        assertThat(expected).hasSize(5000);

        signIn();
        open("#/runs/" + id);
        click(By.cssSelector("[data-artifact='out/data.bin']"));
        Path file = downloads.resolve("data.bin");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(file) && Files.size(file) == expected.length);
        assertThat(Files.readAllBytes(file)).isEqualTo(expected);
        screenshot("run-artifacts");
    }

    @Test
    void pauseResumeAndCancelAppearOnlyWhileTheyApply() {
        String id = server.runDetached(busybox("sleep 60"));
        server.awaitRunning(id);
        try {
            signIn();
            open("#/runs/" + id);
            assertThat(waitFor(By.cssSelector("[data-action='stop']")).isDisplayed()).isTrue();
            assertThat(driver.findElements(By.cssSelector("[data-action='delete']"))).isEmpty();
            click(By.cssSelector("[data-action='pause']"));
            waitFor(By.cssSelector("[data-action='resume']"));
            assertThat(driver.findElement(By.id("run-summary")).getText()).contains("(paused)");
            click(By.cssSelector("[data-action='resume']"));
            waitFor(By.cssSelector("[data-action='pause']"));
            click(By.cssSelector("[data-action='cancel']"));
            awaitTrue(() -> driver.findElement(By.cssSelector("#run-summary .badge")).getText().equals("cancelled"));
            waitFor(By.cssSelector("[data-action='delete']"));
            assertThat(driver.findElements(By.cssSelector("[data-action='cancel']"))).isEmpty();
            assertThat(server.get("/runs/" + id).json().path("status").asText()).isEqualTo("cancelled");
        } finally {
            // A run left paused outlives its server's stop (its container stays, frozen): never leave one behind.
            server.post("/runs/" + id + "/resume");
            server.post("/runs/" + id + "/cancel");
        }
    }

    @Test
    void uploadedBinaryFileReachesTheRunByteForByte() throws IOException {
        byte[] bytes = new byte[4096];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7 + 3); // every byte value, not UTF-8: sent as {"base64": ...}
        }
        Path local = downloads.resolve("blob.bin");
        Files.write(local, bytes);
        signIn();
        open("#/new");
        waitFor(By.id("f-image")).sendKeys(TestServer.BUSYBOX);
        driver.findElement(By.id("f-upload")).sendKeys(local.toString());
        waitFor(By.xpath("//div[@id='files-list']//p[contains(., 'Binary file, 4096 bytes')]"));
        WebElement entrypoint = driver.findElement(By.id("f-entrypoint"));
        entrypoint.clear();
        entrypoint.sendKeys("mkdir -p out && cp blob.bin out/");
        driver.findElement(By.id("f-extract")).sendKeys("/app/out");
        driver.findElement(By.id("submit-run")).click();
        String id = runIdFromUrl();
        assertThat(server.awaitFinished(id).path("status").asText()).isEqualTo("succeeded");
        assertThat(server.get("/runs/" + id + "/artifacts/out/blob.bin").body()).isEqualTo(bytes);
    }

    @Test
    void validationErrorOfTheApiShowsNextToItsField() {
        signIn();
        open("#/new");
        waitFor(By.id("f-image")).sendKeys(TestServer.BUSYBOX);
        driver.findElement(By.id("f-timeout")).sendKeys("0");
        driver.findElement(By.id("submit-run")).click();
        WebElement error = waitFor(By.cssSelector("#err-timeout:not(:empty)"));
        assertThat(error.getText()).isNotBlank();
        WebElement timeout = driver.findElement(By.id("f-timeout"));
        assertThat(timeout.getAttribute("aria-invalid")).isEqualTo("true");
        assertThat(timeout.getAttribute("aria-describedby")).contains("err-timeout");
        assertThat(driver.switchTo().activeElement()).isEqualTo(timeout);
        screenshot("new-run-error");
        assertNoSeriousAccessibilityViolations("new run with an error");
    }

    @Test
    void keyboardAloneSignsInStartsARunAndReadsItsLog() {
        Actions keys = new Actions(driver);
        // Focus starts in the token field.
        keys.sendKeys(TOKEN).sendKeys(Keys.ENTER).perform();
        waitFor(By.xpath("//h1[.='Runs']"));
        tabTo(keys, e -> "New run".equals(e.getText()) && "a".equals(e.getTagName()));
        keys.sendKeys(Keys.ENTER).perform();
        waitFor(By.xpath("//h1[.='New run']"));
        tabTo(keys, e -> "f-image".equals(e.getAttribute("id")));
        keys.sendKeys(TestServer.BUSYBOX).perform();
        // The form's default file and entrypoint print a greeting; go on to the submit button.
        tabTo(keys, e -> "submit-run".equals(e.getAttribute("id")));
        keys.sendKeys(Keys.ENTER).perform();
        waitFor(By.xpath("//pre[@id='logs']//span[contains(., 'hello from light-run')]"));
        awaitTrue(() -> driver.findElement(By.cssSelector("#run-summary .badge")).getText().equals("succeeded"));
        // The focus ring is visible: an outline on the focused element.
        tabTo(keys, e -> "delete".equals(e.getAttribute("data-action")));
        String outline = driver.switchTo().activeElement().getCssValue("outline-style");
        assertThat(outline).isNotEqualTo("none");
    }

    @Test
    void aSecondKeyDoesNotSeeTheFirstKeysRuns() {
        String runOfA = submitAs(TEAM_A, busybox("echo team a"));
        String runOfB = submitAs(TEAM_B, busybox("echo team b"));

        signIn(TEAM_B);
        waitFor(By.cssSelector("tr[data-run='" + runOfB + "']"));
        assertThat(driver.findElements(By.cssSelector("tr[data-run='" + runOfA + "']"))).isEmpty();
        assertThat(driver.findElement(By.id("nav-operator")).isDisplayed()).as("operator link for a tenant").isFalse();
        open("#/runs/" + runOfA);
        assertThat(waitFor(By.xpath("//p[contains(., 'No such run')]")).isDisplayed()).isTrue();
        assertThat(driver.findElements(By.id("run-actions")).stream().allMatch(e -> e.getText().isEmpty())).isTrue();

        freshTab();
        signIn(TEAM_A);
        waitFor(By.cssSelector("tr[data-run='" + runOfA + "']"));
        assertThat(driver.findElements(By.cssSelector("tr[data-run='" + runOfB + "']"))).isEmpty();

        // The admin sees both tenants, and filters by owner.
        freshTab();
        signIn();
        waitFor(By.cssSelector("tr[data-run='" + runOfA + "']"));
        waitFor(By.cssSelector("tr[data-run='" + runOfB + "']"));
        assertThat(waitFor(By.cssSelector("#nav-operator a")).isDisplayed()).isTrue();
        driver.findElement(By.id("f-owner")).sendKeys("team-a", Keys.ENTER);
        awaitTrue(() -> driver.findElements(By.cssSelector("tr[data-run='" + runOfB + "']")).isEmpty());
        assertThat(driver.findElements(By.cssSelector("tr[data-run='" + runOfA + "']"))).hasSize(1);
    }

    @Test
    void operatorViewShowsCapacityChartsAndTheOutbox() {
        server.runSync(busybox("echo for the charts"));
        signIn();
        WebElement link = waitFor(By.cssSelector("#nav-operator a"));
        link.click();
        waitFor(By.id("chart-rpm"));
        waitFor(By.id("chart-duration"));
        assertThat(driver.findElement(By.cssSelector("#stat-hour .value")).getText()).isNotEqualTo("0");
        assertThat(driver.findElement(By.id("outbox-summary")).getText()).contains("pending");
        screenshot("operator");
        assertNoSeriousAccessibilityViolations("operator");
    }

    @Test
    void dashboardFilesCarryAStrictContentSecurityPolicy() {
        for (String path : List.of("/ui/", "/ui/js/app.js", "/ui/app.css")) {
            TestServer.Response response = TestServer.send(HttpRequest.newBuilder(server.uri(path)).GET().build());
            assertThat(response.status()).as(path).isEqualTo(200);
            assertThat(response.header("Content-Security-Policy")).as(path).isEqualTo("default-src 'self';"
                    + " script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self';"
                    + " frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
            assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
        }
        TestServer.Response root = TestServer.send(HttpRequest.newBuilder(server.uri("/")).GET().build());
        assertThat(root.status()).isEqualTo(302);
        assertThat(root.header("Location")).isEqualTo("/ui/");
        // The API itself still needs the token.
        assertThat(TestServer.send(HttpRequest.newBuilder(server.uri("/runs")).GET().build()).status()).isEqualTo(401);
        // No console error (a CSP violation is one) on a page that was used.
        signIn();
        open("#/operator");
        waitFor(By.id("chart-rpm"));
        List<?> logs = driver.manage().logs().get("browser").getAll().stream()
                .filter(e -> e.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue())
                .map(Object::toString).toList();
        assertThat(logs).isEmpty();
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private static String base() {
        return "http://127.0.0.1:" + server.port();
    }

    private static void signIn() {
        signIn(TOKEN);
    }

    private static void signIn(String token) {
        WebElement field = waitFor(By.id("token"));
        field.clear();
        field.sendKeys(token, Keys.ENTER);
        waitFor(By.xpath("//h1[.='Runs']"));
    }

    /** A sync run of another key, which must succeed: its id. */
    private static String submitAs(String token, Object body) {
        TestServer.Response response = TestServer.send(HttpRequest.newBuilder(server.uri("/run"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(TestServer.toJson(body))).build());
        assertThat(response.status()).as("%s", response).isEqualTo(200);
        return response.json().path("id").asText();
    }

    private static void open(String hash) {
        ((JavascriptExecutor) driver).executeScript("location.hash = arguments[0]", hash);
    }

    private static String runIdFromUrl() {
        awaitTrue(() -> driver.getCurrentUrl().contains("#/runs/"));
        String url = driver.getCurrentUrl();
        return url.substring(url.indexOf("#/runs/") + "#/runs/".length());
    }

    private static WebElement waitFor(By by) {
        return new WebDriverWait(driver, Duration.ofSeconds(30)).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    /** Clicks what the locator finds once it is there, again if a poll re-rendered it in between. */
    private static void click(By by) {
        awaitTrue(() -> {
            waitFor(by).click();
            return true;
        });
    }

    private static void awaitTrue(Supplier<Boolean> condition) {
        new WebDriverWait(driver, Duration.ofSeconds(30)).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .until((WebDriver d) -> condition.get());
    }

    /** Presses Tab until the focused element matches (at most 60 times): how a keyboard user gets there. */
    private static void tabTo(Actions keys, java.util.function.Predicate<WebElement> target) {
        for (int i = 0; i < 60; i++) {
            keys.sendKeys(Keys.TAB).perform();
            if (target.test(driver.switchTo().activeElement())) {
                return;
            }
        }
        throw new AssertionError("Tab never reached the element; focus is on " + driver.switchTo().activeElement().getTagName());
    }

    private static void screenshot(String name) {
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        try {
            Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** axe-core on the page as it is: no violation of impact serious or critical. */
    private static void assertNoSeriousAccessibilityViolations(String page) {
        Results results = new AxeBuilder().analyze(driver);
        List<String> serious = results.getViolations().stream()
                .filter(rule -> "serious".equals(rule.getImpact()) || "critical".equals(rule.getImpact()))
                .map(DashboardIT::describe).toList();
        System.out.printf("axe %s: %d violations (%d serious or critical), %d passes%n", page,
                results.getViolations().size(), serious.size(), results.getPasses().size());
        results.getViolations().forEach(rule -> System.out.println("axe " + page + ": " + describe(rule)));
        assertThat(serious).as("serious or critical accessibility violations on the %s page", page).isEmpty();
    }

    private static String describe(Rule rule) {
        return rule.getImpact() + " " + rule.getId() + ": " + rule.getHelp() + " at "
                + rule.getNodes().stream().map(n -> String.valueOf(n.getTarget())).toList();
    }
}
