package dev.mclease.testbed.cluster;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.MockResponse;

/** {@code metav1.Status} failure responses worded like a real API server's, so client error handling is exercised. */
final class StatusResponses {

  private StatusResponses() {
  }

  static MockResponse notFound(String message) {
    return failure(404, "NotFound", message, null, null, null);
  }

  static MockResponse forbidden(ApiRequest r, String user) {
    String what = r.name() == null ? r.rbacResource() + (r.group().isEmpty() ? "" : "." + r.group())
        : r.plural() + (r.group().isEmpty() ? "" : "." + r.group()) + " \"" + r.name() + "\"";
    String message = what + " is forbidden: User \"" + user + "\" cannot " + r.verb() + " resource \""
        + r.rbacResource() + "\" in API group \"" + r.group() + "\""
        + (r.namespace() == null ? " at the cluster scope" : " in the namespace \"" + r.namespace() + "\"");
    return failure(403, "Forbidden", message, r.name(), r.group(), r.plural());
  }

  static MockResponse conflict(ApiRequest r) {
    String message = "Operation cannot be fulfilled on " + r.crdName() + " \"" + r.name()
        + "\": the object has been modified; please apply your changes to the latest version and try again";
    return failure(409, "Conflict", message, r.name(), r.group(), r.plural());
  }

  static MockResponse invalid(ApiRequest r, String message) {
    return failure(422, "Invalid", message, r.name(), r.group(), r.plural());
  }

  static MockResponse failure(int code, String reason, String message, String name, String group, String kind) {
    StatusBuilder b = new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason).withMessage(message)
        .withNewMetadata().endMetadata();
    if (name != null || kind != null) {
      b.withNewDetails().withName(name).withGroup(group).withKind(kind).endDetails();
    }
    Status status = b.build();
    return json(code, Serialization.asJson(status));
  }

  static MockResponse json(int code, String body) {
    return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(body);
  }
}
