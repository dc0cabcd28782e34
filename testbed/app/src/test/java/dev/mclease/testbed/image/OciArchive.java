package dev.mclease.testbed.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mclease.testbed.util.TempDirs;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * An OCI image archive: an OCI image layout (oci-layout, index.json, blobs/sha256/…) in a tar, as buildah, skopeo and
 * podman write it with the {@code oci-archive:} transport. Opened by extracting it with {@code tar} into a temporary
 * directory; read with Jackson, not with the tools that wrote it, so that a check of it is independent of them.
 * {@link #open} checks what a registry or containerd checks on import: every blob named by index, manifest and
 * config has the digest and size its descriptor says, and each layer's uncompressed digest is the config's
 * {@code diff_id}.
 */
final class OciArchive implements AutoCloseable {

  static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String CONFIG = "application/vnd.oci.image.config.v1+json";
  static final String LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  static final String LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One layer: its blob in the extracted layout, compressed and uncompressed size. */
  record Layer(String digest, String mediaType, long size, long uncompressedSize, Path blob) {
  }

  private final Path archive;
  private final Path dir;
  private final JsonNode index;
  private final JsonNode manifest;
  private final JsonNode config;
  private final List<Layer> layers;

  private OciArchive(Path archive, Path dir) throws IOException {
    this.archive = archive;
    this.dir = dir;
    JsonNode layout = JSON.readTree(dir.resolve("oci-layout").toFile());
    if (!"1.0.0".equals(layout.path("imageLayoutVersion").asText())) {
      throw new IllegalStateException(archive + " is no OCI image layout 1.0.0: oci-layout says " + layout);
    }
    this.index = JSON.readTree(dir.resolve("index.json").toFile());
    JsonNode manifests = index.path("manifests");
    if (manifests.size() != 1) {
      throw new IllegalStateException(archive + " should hold one image, its index lists " + manifests.size());
    }
    this.manifest = JSON.readTree(verified(manifests.get(0), MANIFEST).toFile());
    this.config = JSON.readTree(verified(manifest.path("config"), CONFIG).toFile());
    JsonNode diffIds = config.path("rootfs").path("diff_ids");
    JsonNode descriptors = manifest.path("layers");
    if (descriptors.size() != diffIds.size()) {
      throw new IllegalStateException("the manifest lists " + descriptors.size() + " layers, the config "
          + diffIds.size() + " diff_ids");
    }
    List<Layer> ls = new ArrayList<>();
    for (int i = 0; i < descriptors.size(); i++) {
      JsonNode d = descriptors.get(i);
      Path blob = blob(d.path("digest").asText());
      verified(d, d.path("mediaType").asText());
      ls.add(new Layer(d.path("digest").asText(), d.path("mediaType").asText(), d.path("size").asLong(),
          checkDiffId(d, blob, diffIds.get(i).asText()), blob));
    }
    this.layers = List.copyOf(ls);
  }

  /**
   * Extracts and checks {@code archive}.
   *
   * @throws IllegalStateException when it is not one OCI image or a blob does not match its descriptor
   */
  static OciArchive open(Path archive) {
    Path dir = TempDirs.create("mclease-oci-");
    boolean opened = false;
    try {
      run(List.of("tar", "-xf", archive.toString(), "-C", dir.toString()));
      OciArchive a = new OciArchive(archive, dir);
      opened = true;
      return a;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + archive, e);
    } finally {
      if (!opened) {
        TempDirs.deleteRecursively(dir);
      }
    }
  }

  /** The archive file. */
  Path path() {
    return archive;
  }

  /**
   * An annotation of the image's entry in the index, e.g. {@code org.opencontainers.image.ref.name} or
   * {@code io.containerd.image.name}, the names importers give it; empty when absent.
   */
  String indexAnnotation(String key) {
    return index.path("manifests").get(0).path("annotations").path(key).asText("");
  }

  /** The image configuration (OCI image spec: architecture, os, config, rootfs, history). */
  JsonNode config() {
    return config;
  }

  /** The container settings of the configuration ({@code config.config}). */
  ImageConfig imageConfig() {
    return ImageConfig.of(config);
  }

  /** The layers, bottom first. */
  List<Layer> layers() {
    return layers;
  }

  /**
   * Unpacks the layers, bottom first, into {@code rootfs} (created) with their owners and modes, as a runtime's
   * snapshotter does. Must run as root to keep owners. The images built here come from scratch and never delete a
   * file of a lower layer, so a whiteout is refused rather than applied.
   */
  Path unpack(Path rootfs) {
    try {
      Files.createDirectories(rootfs);
      for (Layer l : layers) {
        run(List.of("tar", LAYER_GZIP.equals(l.mediaType()) ? "-xzf" : "-xf", l.blob().toString(),
            "-C", rootfs.toString(), "--numeric-owner", "--same-permissions"));
      }
      try (Stream<Path> files = Files.walk(rootfs)) {
        List<Path> whiteouts = files.filter(p -> p.getFileName() != null
            && p.getFileName().toString().startsWith(".wh.")).limit(5).toList();
        if (!whiteouts.isEmpty()) {
          throw new IllegalStateException("the image has whiteouts, which this check does not apply: " + whiteouts);
        }
      }
      return rootfs;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack " + archive + " into " + rootfs, e);
    }
  }

  /** Deletes the extracted layout. */
  @Override
  public void close() {
    TempDirs.deleteRecursively(dir);
  }

  private Path blob(String digest) {
    if (!digest.matches("sha256:[0-9a-f]{64}")) {
      throw new IllegalStateException("not a sha256 digest: '" + digest + "'");
    }
    return dir.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
  }

  /** The blob of {@code descriptor}, checked against its media type, digest and size. */
  private Path verified(JsonNode descriptor, String mediaType) throws IOException {
    if (!mediaType.equals(descriptor.path("mediaType").asText())) {
      throw new IllegalStateException("expected a " + mediaType + ", the descriptor says " + descriptor);
    }
    Path blob = blob(descriptor.path("digest").asText());
    if (!Files.isRegularFile(blob)) {
      throw new IllegalStateException("blob " + descriptor.path("digest").asText() + " is missing");
    }
    long size = Files.size(blob);
    if (size != descriptor.path("size").asLong()) {
      throw new IllegalStateException("blob " + blob.getFileName() + " has " + size + " bytes, its descriptor says "
          + descriptor.path("size").asLong());
    }
    try (InputStream in = Files.newInputStream(blob)) {
      String actual = sha256(in);
      if (!descriptor.path("digest").asText().equals(actual)) {
        throw new IllegalStateException("blob " + blob.getFileName() + " has digest " + actual);
      }
    }
    return blob;
  }

  /** Checks the uncompressed digest against {@code diffId}; returns the uncompressed size. */
  private static long checkDiffId(JsonNode descriptor, Path blob, String diffId) throws IOException {
    String type = descriptor.path("mediaType").asText();
    if (!LAYER_GZIP.equals(type) && !LAYER_TAR.equals(type)) {
      throw new IllegalStateException("layer media type " + type + " is not one every runtime reads");
    }
    try (InputStream raw = Files.newInputStream(blob);
        InputStream in = LAYER_GZIP.equals(type) ? new GZIPInputStream(raw, 1 << 16) : raw;
        CountingStream counted = new CountingStream(in)) {
      String actual = sha256(counted);
      if (!diffId.equals(actual)) {
        throw new IllegalStateException("layer " + blob.getFileName() + " uncompressed has digest " + actual
            + ", the config's diff_id is " + diffId);
      }
      return counted.count;
    }
  }

  private static String sha256(InputStream in) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      try (DigestInputStream d = new DigestInputStream(in, md)) {
        d.transferTo(java.io.OutputStream.nullOutputStream());
      }
      return "sha256:" + HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  static void run(List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
  }

  /** Counts what passes through. */
  private static final class CountingStream extends java.io.FilterInputStream {
    long count;

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
