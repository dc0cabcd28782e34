package dev.mclease.controller.backend.gcs;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import dev.mclease.controller.backend.BackendException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * The only class of the GCS backend that talks to Cloud Storage: reads an object's metadata and writes or deletes
 * an object, every write guarded by a generation precondition ({@code ifGenerationMatch}; 0 = the object must not
 * exist). It knows nothing about sessions or locks.
 *
 * <p>Objects: {@code <prefix>/locks/<namespace>/<name>} (one per key, never deleted, so that its token survives
 * releases) and {@code <prefix>/sessions/<id>} (one per backend session). What the backend decides on lives in the
 * object's custom metadata, so that one metadata read ({@code objects.get}, a Class B operation) gives it together
 * with the object's {@code generation}.
 */
final class GcsObjects {

  /** One object as read: its generation (what a precondition names) and its custom metadata. */
  record Obj(long generation, Map<String, String> metadata) {

    /** A metadata value, {@code ""} when absent. */
    String meta(String name) {
      String v = metadata.get(name);
      return v == null ? "" : v;
    }
  }

  /** A write or delete whose generation precondition failed (HTTP 412): the object changed since it was read. */
  static final class PreconditionFailed extends Exception {
    PreconditionFailed(String object) {
      super("generation precondition failed on " + object, null, false, false);
    }
  }

  private final Storage storage;
  private final String bucket;
  private final String prefix;

  /**
   * @param storage a client with the backend's request timeout and no retries of its own (the backend retries)
   * @param prefix object name prefix without a trailing slash, e.g. {@code mclease}
   */
  GcsObjects(Storage storage, String bucket, String prefix) {
    this.storage = storage;
    this.bucket = bucket;
    this.prefix = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
  }

  String lockObject(String key) {
    return prefix + "/locks/" + key;
  }

  String sessionObject(String id) {
    return prefix + "/sessions/" + id;
  }

  /** {@code gs://bucket/name}, for messages. */
  String where(String name) {
    return "gs://" + bucket + "/" + name;
  }

  /** The object's generation and metadata; empty when it does not exist. */
  Optional<Obj> read(String name) throws BackendException {
    try {
      Blob b = storage.get(BlobId.of(bucket, name));
      if (b == null || b.getGeneration() == null) {
        return Optional.empty();
      }
      Map<String, String> m = b.getMetadata();
      return Optional.of(new Obj(b.getGeneration(), m == null ? Map.of() : Map.copyOf(nonNull(m))));
    } catch (StorageException e) {
      if (e.getCode() == 404) {
        return Optional.empty(); // no such bucket is no such object too; writes then say so
      }
      throw failed("read " + where(name), e);
    }
  }

  /**
   * Writes {@code name} with {@code metadata} and {@code content} if its generation is still {@code ifGeneration}
   * (0: only if it does not exist).
   *
   * @return the generation of the object written
   * @throws PreconditionFailed the object's generation was another one
   */
  long write(String name, Map<String, String> metadata, String content, long ifGeneration)
      throws BackendException, PreconditionFailed {
    BlobInfo info = BlobInfo.newBuilder(BlobId.of(bucket, name)).setContentType("application/json")
        .setMetadata(metadata).build();
    try {
      Blob b = storage.create(info, content.getBytes(StandardCharsets.UTF_8),
          ifGeneration == 0 ? Storage.BlobTargetOption.doesNotExist()
              : Storage.BlobTargetOption.generationMatch(ifGeneration));
      return b.getGeneration();
    } catch (StorageException e) {
      if (e.getCode() == 412) {
        throw new PreconditionFailed(where(name));
      }
      throw failed("write " + where(name) + " (ifGenerationMatch=" + ifGeneration + ")", e);
    }
  }

  /** Deletes {@code name}, whatever its generation; false when it did not exist. */
  boolean delete(String name) throws BackendException {
    try {
      return storage.delete(BlobId.of(bucket, name));
    } catch (StorageException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw failed("delete " + where(name), e);
    }
  }

  private static Map<String, String> nonNull(Map<String, String> m) {
    Map<String, String> out = new java.util.HashMap<>();
    m.forEach((k, v) -> out.put(k, v == null ? "" : v));
    return out;
  }

  private BackendException failed(String what, StorageException e) {
    String why = e.getCode() == 403 || e.getCode() == 401
        ? "; the controller's credentials (application-default: workload identity, GOOGLE_APPLICATION_CREDENTIALS)"
            + " need roles/storage.objectUser on bucket " + bucket
        : e.getCode() == 429 ? "; GCS allows about one write per second to one object: keep --backend-renew-interval"
            + " at 1s or more"
        : "; check that bucket " + bucket + " exists and is reachable (--gcs-endpoint for an emulator)";
    return new BackendException("GCS " + what + " failed (HTTP " + e.getCode() + ": " + e.getMessage() + ")" + why,
        e);
  }
}
