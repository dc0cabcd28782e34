package dev.mclease.testbed.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionList;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the fabric8 CRUD mock server's behaviour closer to a real API server's, so that tests fail here for the
 * reasons they would fail on a real cluster. Each rule closes one gap of {@link KubernetesCrudDispatcher}
 * (all listed in docs/testbed.md):
 * <ul>
 *   <li>discovery documents and {@code /version} are served (the CRUD dispatcher has none, so kubectl fails);</li>
 *   <li>verb/resource pairs can be refused with 403, like RBAC;</li>
 *   <li>a custom resource whose CRD is not installed answers 404 (the mock would store anything);</li>
 *   <li>PUT {@code /status} with a stale {@code metadata.resourceVersion} answers 409 (the mock accepts it);</li>
 *   <li>PUT of a custom resource without {@code resourceVersion} answers 422, as custom resources allow no
 *       unconditional update;</li>
 *   <li>PATCH answers 200 (the mock says 202);</li>
 *   <li>a JSON Patch's {@code test} operations are judged as kube-apiserver judges them ({@link JsonPatchTests}:
 *       {@code null} matches an absent member; a failed test answers 422);</li>
 *   <li>custom resources are validated against their CRD's OpenAPI schema (422 Invalid), as the result of the
 *       write would be stored (the mock validates nothing);</li>
 *   <li>writes with a query string ({@code ?fieldManager=...}) keep their {@code /status} meaning (the mock
 *       looks at the path's last segment including the query, and would treat them as main-resource writes);</li>
 *   <li>server-side apply is accepted, approximated as create-or-merge-patch (the mock answers 415);</li>
 *   <li>a watch from {@code resourceVersion=N} does not replay objects not newer than N as ADDED;</li>
 *   <li>kubectl's {@code as=Table} requests get a Table built from the CRD's printer columns;</li>
 *   <li>optionally, creating in a missing namespace answers 404 (the mock creates anywhere);</li>
 *   <li>a created CRD is marked {@code Established} and {@code NamesAccepted};</li>
 *   <li>the server's log of recorded requests is drained, so long runs do not grow the heap.</li>
 * </ul>
 * Writes are serialized by one lock, so a check and the write it guards are atomic.
 */
final class EmbeddedApiDispatcher extends Dispatcher {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedApiDispatcher.class);
  private static final String CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  private static final String APPLY_PATCH = "application/apply-patch";
  private static final String MERGE_PATCH = "application/merge-patch+json";
  private static final String JSON_PATCH = "application/json-patch+json";

  private final KubernetesCrudDispatcher crud;
  private final AccessRules access;
  private final MockWebServer server;
  private final String user;
  private final Discovery discovery;
  private final ReentrantLock writes = new ReentrantLock();
  private volatile boolean requireNamespaces;
  /** CRDs currently stored; null when a write to the CRD collection may have changed them. */
  private volatile List<CustomResourceDefinition> crdCache;
  /** Bumped after every CRD write, so a reader that raced with one does not cache what it read. */
  private final java.util.concurrent.atomic.AtomicLong crdWrites = new java.util.concurrent.atomic.AtomicLong();

  EmbeddedApiDispatcher(KubernetesCrudDispatcher crud, AccessRules access, MockWebServer server, String user,
      Supplier<String> serverAddress) {
    this.crud = crud;
    this.access = access;
    this.server = server;
    this.user = user;
    this.discovery = new Discovery(this::crds, serverAddress);
  }

  /** When on, creating an object in a namespace that does not exist answers 404, as a real server does. */
  void requireNamespaces(boolean on) {
    requireNamespaces = on;
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    drainRecordedRequests();
    try {
      return route(request);
    } catch (RuntimeException e) {
      LOG.warn("Embedded API server failed on {} {}", request.getMethod(), request.getPath(), e);
      return StatusResponses.failure(500, "InternalError", "embedded API server: " + e, null, null, null);
    }
  }

  private MockResponse route(RecordedRequest request) {
    String method = request.getMethod();
    ApiRequest r = ApiRequest.parse(method, request.getPath());
    if (r == null || !r.isResourceRequest()) {
      String doc = "GET".equals(method) ? discovery.document(stripQuery(request.getPath())) : null;
      return doc != null ? StatusResponses.json(200, doc)
          : StatusResponses.notFound("the server could not find the requested resource");
    }
    if (access.isForbidden(r.verb(), r.rbacResource())) {
      return StatusResponses.forbidden(r, user);
    }
    if (r.isCustomGroup() && !served(r)) {
      return StatusResponses.notFound("the server could not find the requested resource");
    }
    if (!r.isWrite()) {
      MockResponse response = crud.dispatch(request);
      long from = "watch".equals(r.verb()) ? ResumedWatch.resumeVersion(r.query().get("resourceVersion")) : -1;
      if (from > 0 && response.getWebSocketListener() != null) {
        return response.withWebSocketUpgrade(new ResumedWatch(response.getWebSocketListener(), from));
      }
      String accept = request.getHeader("Accept");
      if (r.isCustomGroup() && accept != null && accept.contains("as=Table") && !"watch".equals(r.verb())
          && response.code() == 200) {
        return asTable(r, response);
      }
      return response;
    }
    writes.lock();
    try {
      return write(request, r);
    } finally {
      if (r.path().startsWith(CRD_PATH)) {
        synchronized (crdWrites) {
          crdWrites.incrementAndGet();
          crdCache = null;
        }
      }
      writes.unlock();
    }
  }

  private MockResponse write(RecordedRequest request, ApiRequest r) {
    byte[] body = request.getBody().getBytes();
    String contentType = request.getHeader("Content-Type");
    String method = request.getMethod();
    if ("DELETE".equals(method)) {
      return crud.dispatch(request);
    }
    if ("PATCH".equals(method) && contentType != null && contentType.startsWith(APPLY_PATCH)) {
      // Server-side apply, approximated: create when absent (main resource only), else a JSON merge patch.
      body = applyBodyAsJson(body);
      if (body == null) {
        return StatusResponses.failure(400, "BadRequest", "empty apply patch", r.name(), r.group(), r.plural());
      }
      contentType = MERGE_PATCH;
      if (r.subresource() == null && get(r.objectPath()) == null) {
        method = "POST";
        contentType = "application/json";
        r = ApiRequest.parse(method, r.collectionPath());
      }
    }
    if (requireNamespaces && "POST".equals(method) && r.namespace() != null && r.name() == null
        && get("/api/v1/namespaces/" + r.namespace()) == null) {
      return StatusResponses.failure(404, "NotFound", "namespaces \"" + r.namespace() + "\" not found",
          r.namespace(), "", "namespaces");
    }
    if ("PATCH".equals(method) && contentType != null && contentType.startsWith(JSON_PATCH)) {
      JsonNode patch = parse(body);
      var failed = JsonPatchTests.firstFailure(patch, get(r.objectPath()));
      if (failed.isPresent()) {
        // kube-apiserver drops the library's text and names nothing: the clients tell this from a schema refusal so
        LOG.debug("JSON patch of {} refused: {}", r.path(), failed.get());
        return StatusResponses.json(422, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
            + "\"status\":\"Failure\",\"message\":\"" + JsonPatchTests.SERVER_MESSAGE + "\",\"reason\":\"Invalid\","
            + "\"details\":{},\"code\":422}");
      }
      if (patch != null && patch.isArray()) {
        body = Serialization.asJson(JsonPatchTests.withoutTests(patch)).getBytes(StandardCharsets.UTF_8);
      }
    }
    if (r.isCustomGroup()) {
      MockResponse refused = "PUT".equals(method) ? checkResourceVersion(r, body) : null;
      if (refused == null) {
        refused = validate(method, r, contentType, body);
      }
      if (refused != null) {
        return refused;
      }
    }
    // Without its query string, so that ".../status?fieldManager=x" is still seen as a /status write.
    MockResponse response = crud.dispatch(copy(request, HttpMethod.valueOf(method), r.path(), contentType, body));
    if ("PATCH".equals(method) && response.code() == 202) {
      response.setResponseCode(200);
    }
    if ("POST".equals(method) && r.path().equals(CRD_PATH) && response.code() == 201) {
      return markEstablished(response);
    }
    return response;
  }

  private MockResponse checkResourceVersion(ApiRequest r, byte[] body) {
    JsonNode update = parse(body);
    String rv = update == null ? "" : update.path("metadata").path("resourceVersion").asText("");
    if (rv.isEmpty()) {
      return StatusResponses.invalid(r, r.plural() + "." + r.group() + " \"" + r.name()
          + "\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update");
    }
    if ("status".equals(r.subresource())) {
      JsonNode current = get(r.objectPath());
      if (current != null && !rv.equals(current.path("metadata").path("resourceVersion").asText())) {
        return StatusResponses.conflict(r);
      }
    }
    return null;
  }

  /** 422 when the object this write would store breaks the CRD's schema; null when fine or unknowable. */
  private MockResponse validate(String method, ApiRequest r, String contentType, byte[] body) {
    CustomResourceDefinition crd = crd(r);
    if (crd == null) {
      return null;
    }
    var version = crd.getSpec().getVersions().stream().filter(v -> v.getName().equals(r.version())).findFirst();
    if (version.isEmpty() || version.get().getSchema() == null) {
      return null;
    }
    boolean statusSubresource = version.get().getSubresources() != null
        && version.get().getSubresources().getStatus() != null;
    JsonNode stored = Writes.predict(method, r.subresource(), contentType, parse(body),
        "POST".equals(method) ? null : get(r.objectPath()), statusSubresource);
    List<String> errors = SchemaValidator.validate(version.get().getSchema().getOpenAPIV3Schema(), stored);
    if (errors.isEmpty()) {
      return null;
    }
    String name = r.name() != null ? r.name() : stored.path("metadata").path("name").asText();
    return StatusResponses.invalid(r, crd.getSpec().getNames().getKind() + "." + r.group() + " \"" + name
        + "\" is invalid: " + String.join(", ", errors));
  }

  private MockResponse asTable(ApiRequest r, MockResponse response) {
    CustomResourceDefinition crd = crd(r);
    var version = crd == null ? null : crd.getSpec().getVersions().stream()
        .filter(v -> v.getName().equals(r.version())).findFirst().orElse(null);
    JsonNode body = parse(response.getBody().getBytes());
    if (version == null || body == null) {
      return response;
    }
    return StatusResponses.json(200, Serialization.asJson(TableConverter.table(body, version, Clock.systemUTC())));
  }

  private static byte[] applyBodyAsJson(byte[] body) {
    @SuppressWarnings("unchecked")
    Map<String, Object> applied = Serialization.unmarshal(new String(body, StandardCharsets.UTF_8), Map.class);
    if (applied == null) {
      return null;
    }
    Object metadata = applied.get("metadata");
    if (metadata instanceof Map) {
      ((Map<?, ?>) metadata).remove("managedFields");
    }
    return Serialization.asJson(applied).getBytes(StandardCharsets.UTF_8);
  }

  /** A real API server's CRD controller sets these conditions at once; clients wait for Established. */
  private MockResponse markEstablished(MockResponse created) {
    ObjectNode crd = (ObjectNode) Serialization.unmarshal(new String(created.getBody().getBytes(),
        StandardCharsets.UTF_8), JsonNode.class);
    String now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    ObjectNode status = crd.putObject("status");
    ArrayNode conditions = status.putArray("conditions");
    conditions.addObject().put("type", "NamesAccepted").put("status", "True").put("reason", "NoConflicts")
        .put("message", "no conflicts found").put("lastTransitionTime", now);
    conditions.addObject().put("type", "Established").put("status", "True").put("reason", "InitialNamesAccepted")
        .put("message", "the initial names have been accepted").put("lastTransitionTime", now);
    status.set("acceptedNames", crd.path("spec").path("names"));
    ArrayNode stored = status.putArray("storedVersions");
    crd.path("spec").path("versions").forEach(v -> {
      if (v.path("storage").asBoolean()) {
        stored.add(v.path("name").asText());
      }
    });
    String path = CRD_PATH + "/" + crd.path("metadata").path("name").asText() + "/status";
    RecordedRequest put = new RecordedRequest("HTTP/1.1", HttpMethod.PUT, path,
        io.fabric8.mockwebserver.http.Headers.builder().set("Content-Type", "application/json").build(),
        new Buffer(Serialization.asJson(crd).getBytes(StandardCharsets.UTF_8)));
    MockResponse updated = crud.dispatch(put);
    return updated.code() == 200 ? updated.setResponseCode(201) : created;
  }

  private boolean served(ApiRequest r) {
    CustomResourceDefinition crd = crd(r);
    return crd != null && crd.getSpec().getVersions().stream()
        .anyMatch(v -> v.getName().equals(r.version()) && !Boolean.FALSE.equals(v.getServed()));
  }

  private CustomResourceDefinition crd(ApiRequest r) {
    for (CustomResourceDefinition crd : crds()) {
      if (crd.getSpec().getGroup().equals(r.group()) && crd.getSpec().getNames().getPlural().equals(r.plural())) {
        return crd;
      }
    }
    return null;
  }

  private List<CustomResourceDefinition> crds() {
    List<CustomResourceDefinition> c = crdCache;
    if (c == null) {
      long before = crdWrites.get();
      MockResponse list = crud.handleGet(CRD_PATH);
      CustomResourceDefinitionList parsed = Serialization.unmarshal(
          new String(list.getBody().getBytes(), StandardCharsets.UTF_8), CustomResourceDefinitionList.class);
      c = parsed == null || parsed.getItems() == null ? List.of() : List.copyOf(parsed.getItems());
      // Inside a CRD write (markEstablished, validation) the list is current but must not outlive the write.
      synchronized (crdWrites) {
        if (crdWrites.get() == before && !writes.isHeldByCurrentThread()) {
          crdCache = c;
        }
      }
    }
    return c;
  }

  private JsonNode get(String path) {
    MockResponse r = crud.handleGet(path);
    return r.code() == 200
        ? Serialization.unmarshal(new String(r.getBody().getBytes(), StandardCharsets.UTF_8), JsonNode.class)
        : null;
  }

  private static RecordedRequest copy(RecordedRequest request, HttpMethod method, String path, String contentType,
      byte[] body) {
    var headers = request.getHeaders().newBuilder();
    if (contentType != null) {
      headers.set("Content-Type", contentType);
    }
    return new RecordedRequest(request.getHttpVersion(), method, path, headers.build(), new Buffer(body));
  }

  private static JsonNode parse(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    try {
      return Serialization.unmarshal(new String(body, StandardCharsets.UTF_8), JsonNode.class);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static String stripQuery(String path) {
    int q = path.indexOf('?');
    return q < 0 ? path : path.substring(0, q);
  }

  /** MockWebServer keeps every request for {@code takeRequest()}; nobody takes them here. */
  private void drainRecordedRequests() {
    try {
      while (server.takeRequest(0, TimeUnit.NANOSECONDS) != null) {
        // discard
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
