package dev.mclease.bench.sut;

import com.sun.management.OperatingSystemMXBean;
import dev.mclease.testbed.cluster.ApiServerCluster;
import dev.mclease.testbed.cluster.Cluster;
import dev.mclease.testbed.kube.Rss;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CPU time and resident memory of the processes one system under test runs on, over a measured window, by role:
 * <ul>
 *   <li>{@code jvm}: this fork — <em>ours</em>: candidates, election controllers (MultiClusterLease) or fabric8's
 *       electors (baseline), and the bench's own bookkeeping;</li>
 *   <li>{@code apiserver}: the system's {@code kube-apiserver} processes ({@link ApiServerCluster#pid()});</li>
 *   <li>{@code apiserver_etcd}: the etcd they store into (found by their {@code --etcd-servers}: one shared etcd for
 *       all clusters of a provider, or one per cluster);</li>
 *   <li>{@code lock_etcd}: MultiClusterLease's global lock store, when given.</li>
 * </ul>
 * CPU is the process's user + system time ({@code /proc/<pid>/stat} through {@link ProcessHandle}, clock ticks of
 * 10 ms; this JVM's from {@code getProcessCpuTime}); RSS is {@code VmRSS}. Embedded clusters live inside the JVM and
 * k3s in a container, so there the API-server roles are simply absent.
 */
public final class ResourceMeter {

  /** Roles in report order. */
  public static final List<String> ROLES = List.of("jvm", "apiserver", "apiserver_etcd", "lock_etcd");

  private final List<? extends Cluster> clusters;
  private final Collection<String> lockEtcdEndpoints;

  /**
   * @param clusters the system's clusters (their kube-apiservers, and through them their etcd)
   * @param lockEtcdEndpoints client URLs of the global lock store's members, or empty
   */
  public ResourceMeter(List<? extends Cluster> clusters, Collection<String> lockEtcdEndpoints) {
    this.clusters = List.copyOf(clusters);
    this.lockEtcdEndpoints = List.copyOf(lockEtcdEndpoints);
  }

  /** The process ids of every role but {@code jvm}, resolved now (a restarted server has a new pid). */
  public Map<String, List<Long>> pids() {
    Map<String, List<Long>> pids = new LinkedHashMap<>();
    List<Long> apiservers = new ArrayList<>();
    Set<String> storage = new HashSet<>();
    for (Cluster c : clusters) {
      if (c instanceof ApiServerCluster a && a.pid() > 0) {
        apiservers.add(a.pid());
        storage.addAll(flagValues(cmdline(a.pid()), "--etcd-servers"));
      }
    }
    pids.put("apiserver", apiservers);
    pids.put("apiserver_etcd", etcdServing(storage));
    pids.put("lock_etcd", etcdServing(lockEtcdEndpoints));
    return pids;
  }

  /** Starts a window now. */
  public Window start() {
    return new Window(pids());
  }

  /** One measured window: CPU used in it, RSS at its end. */
  public static final class Window {
    private final Map<String, List<Long>> pids;
    private final Map<Long, Long> cpuBefore = new LinkedHashMap<>();
    private final Map<Long, Long> rssBefore = new LinkedHashMap<>();
    private final long jvmCpuBefore;
    private final long t0;

    private Window(Map<String, List<Long>> pids) {
      this.pids = pids;
      for (List<Long> ps : pids.values()) {
        for (long pid : ps) {
          cpuBefore.put(pid, cpuNanos(pid));
          rssBefore.put(pid, Rss.of(pid));
        }
      }
      this.jvmCpuBefore = jvmCpuNanos();
      this.t0 = System.nanoTime();
    }

    /**
     * Ends the window. Metrics: {@code window_ms}; per role {@code <role>_cpu_ms} (summed over its processes),
     * {@code <role>_rss_mib} at the end and {@code <role>_rss_growth_mib} (end minus start); {@code apiservers} = how
     * many kube-apiservers were measured. A role without processes has no metrics.
     */
    public Map<String, Double> stop() {
      long jvmCpu = jvmCpuNanos() - jvmCpuBefore;
      double windowMs = (System.nanoTime() - t0) / 1e6;
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("window_ms", windowMs);
      m.put("jvm_cpu_ms", jvmCpu / 1e6);
      m.put("jvm_rss_mib", mib(Rss.of(ProcessHandle.current().pid())));
      for (Map.Entry<String, List<Long>> e : pids.entrySet()) {
        if (e.getValue().isEmpty()) {
          continue;
        }
        double cpu = 0;
        double rss = 0;
        double growth = 0;
        for (long pid : e.getValue()) {
          long after = cpuNanos(pid);
          long before = cpuBefore.getOrDefault(pid, -1L);
          if (after >= 0 && before >= 0) {
            cpu += (after - before) / 1e6;
          }
          long r = Rss.of(pid);
          if (r >= 0) {
            rss += mib(r);
            growth += mib(r) - mib(rssBefore.getOrDefault(pid, r));
          }
        }
        m.put(e.getKey() + "_cpu_ms", cpu);
        m.put(e.getKey() + "_rss_mib", rss);
        m.put(e.getKey() + "_rss_growth_mib", growth);
      }
      m.put("apiservers", (double) pids.getOrDefault("apiserver", List.of()).size());
      return m;
    }
  }

  private static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }

  /** CPU time of a process (all threads, user + system) in ns, or -1 when it is gone. */
  static long cpuNanos(long pid) {
    return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(Duration::toNanos).orElse(-1L);
  }

  static long jvmCpuNanos() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** The etcd processes among this JVM's descendants whose {@code --listen-client-urls} include one of {@code urls}. */
  private static List<Long> etcdServing(Collection<String> urls) {
    List<Long> out = new ArrayList<>();
    if (urls.isEmpty()) {
      return out;
    }
    Set<String> wanted = new HashSet<>();
    urls.forEach(u -> wanted.add(trimSlash(u)));
    ProcessHandle.current().descendants().forEach(p -> {
      List<String> args = cmdline(p.pid());
      if (args.isEmpty() || !Path.of(args.get(0)).getFileName().toString().startsWith("etcd")) {
        return;
      }
      for (String url : flagValues(args, "--listen-client-urls")) {
        if (wanted.contains(trimSlash(url))) {
          out.add(p.pid());
          return;
        }
      }
    });
    return out;
  }

  private static String trimSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** The comma-separated values of {@code flag}, given as {@code --flag=v} or {@code --flag v}. */
  static List<String> flagValues(List<String> args, String flag) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String v = null;
      if (a.startsWith(flag + "=")) {
        v = a.substring(flag.length() + 1);
      } else if (a.equals(flag) && i + 1 < args.size()) {
        v = args.get(i + 1);
      }
      if (v != null) {
        out.addAll(Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
      }
    }
    return out;
  }

  /** A process's command line from {@code /proc/<pid>/cmdline}, or empty. */
  static List<String> cmdline(long pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      String s = new String(raw, StandardCharsets.UTF_8);
      return s.isEmpty() ? List.of() : Arrays.asList(s.split("\0"));
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }
}
