package dev.mclease.testbed.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mclease.testbed.chaos.FaultInjector;
import dev.mclease.testbed.fleet.Fleet;
import dev.mclease.testbed.fleet.Timings;
import dev.mclease.testbed.history.HistoryChecker;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The live page in a real browser: Debian's chromium, headless, driven through Debian's chromedriver. Loads the page
 * of a running fleet, sees a leader, crashes it with the page's button, sees leadership move to another candidate,
 * heals, and sees the crashed candidate back. Skipped (with the reason) where chromium or chromedriver is missing;
 * {@code ./mcl test} installs both. With {@code -Dmcl.screenshot=<file>} the screenshot is copied there too.
 */
class LivePageIT {

  private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("MCL_CHROMIUM", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER =
      Path.of(System.getenv().getOrDefault("MCL_CHROMEDRIVER", "/usr/bin/chromedriver"));

  private Fleet fleet;
  private FaultInjector injector;
  private LivePage page;
  private WebDriver browser;
  private Path profile;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "no browser to test the live page in: " + CHROMIUM + " or " + CHROMEDRIVER + " is missing (./mcl test "
            + "installs Debian's chromium and chromium-driver; MCL_CHROMIUM / MCL_CHROMEDRIVER name others)");
    fleet = Fleet.builder().clusters("east", "west", "south").candidatesPerCluster(2).timings(Timings.fast())
        .build().start();
    injector = new FaultInjector(fleet.history());
    var self = new java.util.concurrent.atomic.AtomicReference<LivePage>();
    page = LivePage.start(fleet, injector, 0, line -> self.get().log(line)); // the page's actions in its log
    self.set(page);
    profile = Files.createTempDirectory("mcl-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // the network here is closed: without the background-networking flags chromium hangs on connections
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile, "--window-size=1280,1100");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (page != null) {
      page.close();
    }
    if (injector != null) {
      injector.close();
    }
    if (fleet != null) {
      fleet.close();
    }
    if (profile != null) {
      try (var files = Files.walk(profile)) {
        files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  @Test
  void showsTheLeaderAndMovesLeadershipWhenTheLeaderIsCrashedFromThePage() throws Exception {
    browser.get(page.url().toString());
    await("a leader on the page").atMost(fleet.firstLeaderBound()).ignoreExceptions()
        .until(() -> text("leader").startsWith("leader "));
    String first = browser.findElement(By.id("leader")).getAttribute("data-identity");
    assertThat(fleet.leader()).hasValueSatisfying(l -> assertThat(l.identity()).isEqualTo(first));
    assertThat(browser.findElements(By.cssSelector(".cluster"))).hasSize(3);

    browser.findElement(By.id("fault-crash")).click();
    Duration bound = fleet.timings().leaderlessBound().plusSeconds(2);
    await("the crashed leader shown down").atMost(Duration.ofSeconds(5)).ignoreExceptions()
        .until(() -> row(first).getAttribute("class").contains("down"));
    await("leadership moved on the page").atMost(bound).ignoreExceptions().until(() -> {
      String now = browser.findElement(By.id("leader")).getAttribute("data-identity");
      return !now.isEmpty() && !now.equals(first);
    });
    assertThat(text("active")).contains("kill");
    await("the timeline drawn").atMost(Duration.ofSeconds(5)).ignoreExceptions()
        .until(() -> !browser.findElements(By.cssSelector("#timeline svg")).isEmpty());
    screenshot();

    browser.findElement(By.id("heal")).click();
    await("no fault left").atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> text("active").isEmpty());
    await("the crashed candidate campaigns again").atMost(Duration.ofSeconds(5)).ignoreExceptions()
        .until(() -> !row(first).getAttribute("class").contains("down"));
    assertThat(text("leader")).startsWith("leader ");

    fleet.history().note("end of test");
    var verdict = HistoryChecker.check(fleet.history(), fleet.timings().leaderlessBound());
    assertThat(verdict.violations()).as(verdict.summary()).isEmpty();
  }

  private String text(String id) {
    return browser.findElement(By.id(id)).getText();
  }

  private org.openqa.selenium.WebElement row(String identity) {
    List<org.openqa.selenium.WebElement> rows =
        browser.findElements(By.cssSelector("tr[data-identity='" + identity + "']"));
    return rows.get(0);
  }

  private void screenshot() throws Exception {
    Path shot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE).toPath();
    Path target = Path.of("target", "live-page.png");
    Files.createDirectories(target.getParent());
    Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
    String extra = System.getProperty("mcl.screenshot");
    if (extra != null && !extra.isBlank()) {
      Path p = Path.of(extra);
      if (p.getParent() != null) {
        Files.createDirectories(p.getParent());
      }
      Files.copy(shot, p, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
