package dev.mclease.testbed.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lookup order of the binaries: KUBEBUILDER_ASSETS, MCL_* variables, the ./mcl cache, PATH. */
class KubeBinariesTest {

  @TempDir
  Path tmp;

  private Path executable(String dir, String name) throws IOException {
    Path d = Files.createDirectories(tmp.resolve(dir));
    Path f = d.resolve(name);
    Files.writeString(f, "#!/bin/sh\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    return f;
  }

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("XDG_CACHE_HOME", tmp.resolve("cache").toString());
    env.put("PATH", tmp.resolve("bin").toString());
    return env;
  }

  @Test
  void nothingFoundIsEmpty() {
    assertThat(KubeBinaries.find(env())).isEmpty();
  }

  @Test
  void pathIsTheLastResortAndTheCacheBeatsIt() throws IOException {
    executable("bin", "kube-apiserver");
    Path pathEtcd = executable("bin", "etcd");
    assertThat(KubeBinaries.find(env())).hasValueSatisfying(b -> assertThat(b.etcdBinary()).isEqualTo(pathEtcd));

    Path cache = KubeBinaries.cacheDir(env());
    assertThat(cache).isEqualTo(tmp.resolve("cache/mclease/kube-binaries/current"));
    Path cachedApi = executable("cache/mclease/kube-binaries/current", "kube-apiserver");
    Path cachedEtcd = executable("cache/mclease/kube-binaries/current", "etcd");
    KubeBinaries b = KubeBinaries.find(env()).orElseThrow();
    assertThat(b.kubeApiServer()).isEqualTo(cachedApi);
    assertThat(b.etcdBinary()).isEqualTo(cachedEtcd);
    assertThat(KubeBinaries.etcd(env())).contains(cachedEtcd);
  }

  @Test
  void variablesBeatTheCacheAndKubebuilderAssetsBeatsThem() throws IOException {
    executable("cache/mclease/kube-binaries/current", "kube-apiserver");
    executable("cache/mclease/kube-binaries/current", "etcd");
    Map<String, String> env = env();
    Path api = executable("mine", "kube-apiserver");
    Path legacyEtcd = executable("legacy", "etcd");
    env.put("MCL_KUBE_APISERVER", api.toString());
    env.put("MCL_ETCD_BINARY", legacyEtcd.toString());
    assertThat(KubeBinaries.find(env).orElseThrow().etcdBinary()).isEqualTo(legacyEtcd);
    Path etcd = executable("mine", "etcd");
    env.put("MCL_ETCD", etcd.toString());
    assertThat(KubeBinaries.find(env).orElseThrow().kubeApiServer()).isEqualTo(api);
    assertThat(KubeBinaries.find(env).orElseThrow().etcdBinary()).isEqualTo(etcd);

    Path assetsApi = executable("assets", "kube-apiserver");
    Path assetsEtcd = executable("assets", "etcd");
    env.put("KUBEBUILDER_ASSETS", tmp.resolve("assets").toString());
    assertThat(KubeBinaries.find(env).orElseThrow().kubeApiServer()).isEqualTo(assetsApi);
    assertThat(KubeBinaries.find(env).orElseThrow().etcdBinary()).isEqualTo(assetsEtcd);
  }

  @Test
  void kubectlIsLookedUpInTheSameOrder() throws IOException {
    Map<String, String> env = env();
    assertThat(KubeBinaries.kubectl(env)).isEmpty();
    Path onPath = executable("bin", "kubectl");
    assertThat(KubeBinaries.kubectl(env)).contains(onPath);
    Path cached = executable("cache/mclease/kube-binaries/current", "kubectl");
    assertThat(KubeBinaries.kubectl(env)).contains(cached);
    Path mine = executable("mine", "kubectl");
    env.put("MCL_KUBECTL", mine.toString());
    assertThat(KubeBinaries.kubectl(env)).contains(mine);
    // setup-envtest leaves kubectl beside kube-apiserver and etcd; an assets directory without one is passed over
    Files.createDirectories(tmp.resolve("assets"));
    env.put("KUBEBUILDER_ASSETS", tmp.resolve("assets").toString());
    assertThat(KubeBinaries.kubectl(env)).contains(mine);
    Path assets = executable("assets", "kubectl");
    assertThat(KubeBinaries.kubectl(env)).contains(assets);
    env.put("MCL_KUBECTL", tmp.resolve("nowhere/kubectl").toString());
    env.remove("KUBEBUILDER_ASSETS");
    assertThat(KubeBinaries.kubectl(env)).as("a variable naming no executable is skipped").contains(cached);
  }

  @Test
  void aVariableNamingNoExecutableIsSkipped() throws IOException {
    Path cachedApi = executable("cache/mclease/kube-binaries/current", "kube-apiserver");
    executable("cache/mclease/kube-binaries/current", "etcd");
    Map<String, String> env = env();
    env.put("MCL_KUBE_APISERVER", tmp.resolve("nowhere/kube-apiserver").toString());
    assertThat(KubeBinaries.find(env).orElseThrow().kubeApiServer()).isEqualTo(cachedApi);
  }
}
