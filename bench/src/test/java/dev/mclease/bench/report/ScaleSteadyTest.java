package dev.mclease.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScaleSteadyTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode line(String bench, String system, int leases, String metric, double value) throws Exception {
    return JSON.readTree("{\"bench\":\"" + bench + "\",\"params\":{\"system\":\"" + system + "\",\"leases\":" + leases
        + ",\"timings\":\"defaults\"},\"metric\":\"" + metric + "\",\"value\":" + value + "}");
  }

  private static List<JsonNode> side() throws Exception {
    List<JsonNode> side = new ArrayList<>();
    for (double putRate : new double[] {14, 16, 15}) {
      side.add(line("scale_steady", "mcl", 100, "window_s", 30));
      side.add(line("scale_steady", "mcl", 100, "led_fraction_at_end", 1.0));
      side.add(line("scale_steady", "mcl", 100, "requests_per_lease_minute_put", putRate));
      side.add(line("scale_steady", "mcl", 100, "requests_per_lease_minute_patch_status", 15));
      side.add(line("scale_steady", "mcl", 100, "requests_per_lease_minute_watch", 0.02));
    }
    side.add(line("scale_steady", "baseline", 100, "window_s", 30));
    side.add(line("scale_steady", "baseline", 100, "led_fraction_at_end", 0.5));
    side.add(line("scale_steady", "baseline", 100, "requests_per_lease_minute_get", 30));
    side.add(line("scale_steady", "baseline", 100, "requests_per_lease_minute_put", 30));
    // the operation's own figures are not the steady state's
    side.add(line("scale", "mcl", 100, "api_requests_per_lease_put", 99));
    return side;
  }

  @Test
  void aRowPerLeaseCountAndSystemWithTheMedianPerVerbWritesSummedAndWatchesNotCountedAsRequests() throws Exception {
    JsonNode cpu = JSON.readTree("{\"window_ms\": 30000, \"jvm_cpu_ms\": 6000, \"apiserver_cpu_ms\": 3000}");
    JsonNode rows = ScaleSteady.of(side(), (leases, system) -> "mcl".equals(system) ? cpu : MissingNode.getInstance());

    assertThat(rows).hasSize(2);
    JsonNode mcl = rows.get(0);
    assertThat(mcl.path("system").asText()).isEqualTo("mcl");
    assertThat(mcl.path("requests_per_lease_minute_by_verb").path("put").asDouble()).isEqualTo(15);
    assertThat(mcl.path("writes_per_lease_minute").asDouble()).isEqualTo(30);
    assertThat(mcl.path("requests_per_lease_minute").asDouble()).isEqualTo(30);
    // 9000 CPU-ms in 30 s = 300 millicores, over 100 leases
    assertThat(ScaleSteady.millicoresPerLease(mcl)).isEqualTo(3.0);
    JsonNode base = rows.get(1);
    assertThat(base.path("writes_per_lease_minute").asDouble()).isEqualTo(30);
    assertThat(base.path("requests_per_lease_minute").asDouble()).isEqualTo(60);
    assertThat(base.has("resources")).isFalse();
    assertThat(ScaleSteady.millicoresPerLease(base)).isNaN();
  }

  @Test
  void theTableGivesTheRatioOnTheMclRowAndHowBusyTheMachineWas() throws Exception {
    JsonNode cpu = JSON.readTree("{\"window_ms\": 30000, \"jvm_cpu_ms\": 6000, \"apiserver_cpu_ms\": 3000}");
    JsonNode rows = ScaleSteady.of(side(), (leases, system) -> "mcl".equals(system) ? cpu : MissingNode.getInstance());
    StringBuilder md = new StringBuilder();
    ScaleSteady.markdown(md, rows, 2);

    // 300 millicores of 2 cores = 15 %
    assertThat(md.toString())
        .contains("| 100 | mcl | 30 | 100 % | 30.0 | 1.00× | 30.0 | 3.00 | 15 % |")
        .contains("| 100 | baseline | 30 | 50 % | 30.0 |  | 60.0 |  |  |");
  }

  @Test
  void noTableWithoutASteadyWindow() {
    StringBuilder md = new StringBuilder();
    ScaleSteady.markdown(md, JSON.createArrayNode(), 2);
    assertThat(md.toString()).isEmpty();
  }
}
