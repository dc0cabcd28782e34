package dev.mclease.testbed.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;

/**
 * Makes a watch started with {@code resourceVersion=N} resume after N, as on a real API server: the CRUD mock
 * replays every stored object as ADDED when a watch opens, whatever N says, so the ADDED events of objects whose
 * resourceVersion is not after N are dropped. MODIFIED and DELETED pass untouched (the mock's DELETED carries the
 * object's last, older version, so filtering those by version would lose real deletions).
 */
final class ResumedWatch extends WebSocketListener {

  private final WebSocketListener delegate;
  private final long fromVersion;

  ResumedWatch(WebSocketListener delegate, long fromVersion) {
    this.delegate = delegate;
    this.fromVersion = fromVersion;
  }

  /** The version to resume after, or -1 when the watch should get the initial ADDED events (unset, "0", junk). */
  static long resumeVersion(String resourceVersion) {
    try {
      return resourceVersion == null ? -1 : Long.parseLong(resourceVersion);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public void onBeforeAccept(WebSocket webSocket, Response response) {
    delegate.onBeforeAccept(webSocket, response);
  }

  @Override
  public void onOpen(WebSocket webSocket, Response response) {
    delegate.onOpen(new Filtering(webSocket), response);
  }

  @Override
  public void onMessage(WebSocket webSocket, String text) {
    delegate.onMessage(webSocket, text);
  }

  @Override
  public void onMessage(WebSocket webSocket, byte[] bytes) {
    delegate.onMessage(webSocket, bytes);
  }

  @Override
  public void onClosing(WebSocket webSocket, int code, String reason) {
    delegate.onClosing(webSocket, code, reason);
  }

  @Override
  public void onClosed(WebSocket webSocket, int code, String reason) {
    delegate.onClosed(webSocket, code, reason);
  }

  @Override
  public void onFailure(WebSocket webSocket, Throwable error, Response response) {
    delegate.onFailure(webSocket, error, response);
  }

  private final class Filtering implements WebSocket {
    private final WebSocket socket;

    Filtering(WebSocket socket) {
      this.socket = socket;
    }

    @Override
    public RecordedRequest request() {
      return socket.request();
    }

    @Override
    public boolean send(String text) {
      return alreadySeen(text) || socket.send(text);
    }

    @Override
    public boolean send(byte[] bytes) {
      return socket.send(bytes);
    }

    @Override
    public boolean close(int code, String reason) {
      return socket.close(code, reason);
    }

    private boolean alreadySeen(String text) {
      try {
        JsonNode event = Serialization.unmarshal(text, JsonNode.class);
        if (event == null || !"ADDED".equals(event.path("type").asText())) {
          return false;
        }
        long rv = resumeVersion(event.path("object").path("metadata").path("resourceVersion").asText(null));
        return rv >= 0 && rv <= fromVersion;
      } catch (RuntimeException e) {
        return false;
      }
    }
  }
}
