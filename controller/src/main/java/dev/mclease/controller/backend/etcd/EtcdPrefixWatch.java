package dev.mclease.controller.backend.etcd;

import dev.mclease.controller.backend.BackendListeners;
import dev.mclease.controller.backend.LockEvent;
import dev.mclease.controller.backend.LockValue;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One etcd watch on the key prefix with previous values, dispatched per key: DELETE (release or lease expiry) →
 * {@code RELEASED(prevKv.createRevision)}, a PUT creating a key → {@code ACQUIRED}. It resumes after the last
 * revision it saw, so a broken stream misses nothing; after a compaction (or any break) every watched key is told to
 * re-read ({@code RESYNC}).
 */
final class EtcdPrefixWatch implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EtcdPrefixWatch.class);

  private final Client client;
  private final String prefix;
  private final BackendListeners listeners;
  private final long timeoutMillis;
  /** Events and re-watches leave on this one thread, in watch order, so that gRPC's event loop never runs one. */
  private final ScheduledExecutorService dispatcher;
  private volatile Watch.Watcher watcher;
  private volatile boolean closed;
  /** Revision of the last watch response seen; the watch resumes after it. */
  private volatile long revision;

  EtcdPrefixWatch(Client client, String prefix, BackendListeners listeners, long timeoutMillis) {
    this.client = client;
    this.prefix = prefix;
    this.listeners = listeners;
    this.timeoutMillis = timeoutMillis;
    this.dispatcher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mclease-etcd-watch");
      t.setDaemon(true);
      return t;
    });
  }

  void start() {
    revision = currentRevision();
    open();
  }

  private void open() {
    if (closed) {
      return;
    }
    WatchOption.Builder opt = WatchOption.builder().isPrefix(true).withPrevKV(true);
    long from = revision;
    if (from > 0) {
      opt.withRevision(from + 1); // nothing written since we last looked is missed, however late the stream opens
    }
    watcher = client.getWatchClient().watch(EtcdLockStore.bytes(prefix), opt.build(),
        Watch.listener(this::onWatch, this::onError));
  }

  private void onWatch(WatchResponse response) {
    long rev = response.getHeader().getRevision();
    if (rev > revision && response.getEvents().isEmpty()) {
      revision = rev;
    }
    for (WatchEvent ev : response.getEvents()) {
      String key = stripPrefix(ev.getKeyValue().getKey());
      if (key == null) {
        continue;
      }
      LockEvent event;
      if (ev.getEventType() == WatchEvent.EventType.DELETE) {
        KeyValue prev = ev.getPrevKV();
        event = LockEvent.released(key, prev == null ? 0 : prev.getCreateRevision());
      } else if (ev.getEventType() == WatchEvent.EventType.PUT && ev.getKeyValue().getVersion() == 1) {
        String raw = ev.getKeyValue().getValue().toString(StandardCharsets.UTF_8);
        LockValue holder = LockValue.parseOrNull(raw);
        if (holder == null) {
          LOG.error("etcd key {}{} was written with a malformed value: {}", prefix, key, raw);
        }
        event = LockEvent.acquired(key, ev.getKeyValue().getCreateRevision(), holder);
      } else {
        continue; // an overwrite of an existing key: nobody of ours does that
      }
      dispatch(event);
    }
    for (WatchEvent ev : response.getEvents()) {
      revision = Math.max(revision, ev.getKeyValue().getModRevision());
    }
  }

  /** The store's current revision, 0 when etcd does not answer now. */
  private long currentRevision() {
    try {
      return client.getKVClient().get(EtcdLockStore.bytes(prefix), GetOption.builder().withCountOnly(true).build())
          .get(timeoutMillis, TimeUnit.MILLISECONDS).getHeader().getRevision();
    } catch (Exception e) {
      LOG.warn("etcd does not answer yet ({}); watching {} from whatever comes next", e.toString(), prefix);
      return 0;
    }
  }

  private void onError(Throwable t) {
    if (closed) {
      return;
    }
    LOG.warn("etcd watch on {} failed ({}); re-watching and telling every lease to re-read its key", prefix,
        t.toString());
    if (String.valueOf(t.getMessage()).contains("compacted")) {
      revision = 0; // history is gone: watch from now on and let every lease re-read its key
    }
    try {
      dispatcher.schedule(() -> {
        Watch.Watcher old = watcher;
        if (old != null) {
          old.close();
        }
        open();
        for (String key : listeners.watchedKeys()) {
          listeners.dispatch(LockEvent.resync(key));
        }
      }, 200, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  private void dispatch(LockEvent event) {
    if (closed || !listeners.isWatched(event.key())) {
      return;
    }
    try {
      dispatcher.execute(() -> listeners.dispatch(event));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  private String stripPrefix(ByteSequence full) {
    String s = full.toString(StandardCharsets.UTF_8);
    return s.startsWith(prefix) ? s.substring(prefix.length()) : null;
  }

  @Override
  public void close() {
    closed = true;
    Watch.Watcher w = watcher;
    if (w != null) {
      w.close();
    }
    dispatcher.shutdownNow();
  }
}
