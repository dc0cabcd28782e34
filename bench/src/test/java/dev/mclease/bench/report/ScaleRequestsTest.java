package dev.mclease.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScaleRequestsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode line(String system, int leases, String metric, double value) throws Exception {
    return JSON.readTree("{\"bench\":\"scale\",\"params\":{\"system\":\"" + system + "\",\"leases\":" + leases
        + ",\"timings\":\"defaults\"},\"metric\":\"" + metric + "\",\"value\":" + value + "}");
  }

  @Test
  void aRowPerLeaseCountAndSystemWithTheMedianPerVerbAndAllZeroVerbsLeftOut() throws Exception {
    List<JsonNode> side = new ArrayList<>();
    side.add(line("baseline", 10, "api_requests_per_lease_post", 1.0));
    side.add(line("mcl", 10, "api_requests_per_lease_post", 1.0));
    side.add(line("mcl", 10, "api_requests_per_lease_patch_status", 1.0));
    side.add(line("mcl", 10, "api_requests_per_lease_patch_status", 3.0));
    side.add(line("mcl", 10, "api_requests_per_lease_patch_status", 2.0));
    side.add(line("mcl", 10, "api_requests_per_lease_delete", 0.0));
    side.add(line("mcl", 10, "all_led_ms", 500));

    JsonNode rows = ScaleRequests.of(side);
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0).path("system").asText()).isEqualTo("mcl");
    assertThat(rows.get(0).path("requests").path("patch_status").asDouble()).isEqualTo(2.0);

    StringBuilder md = new StringBuilder();
    ScaleRequests.markdown(md, rows);
    assertThat(md.toString())
        .contains("| leases | system | PATCH STATUS | POST | total |")
        .contains("| 10 | mcl | 2.00 | 1.00 | 3.00 |")
        .contains("| 10 | baseline | 0.00 | 1.00 | 1.00 |")
        .doesNotContain("DELETE");
  }
}
