package dev.mclease.controller.backend;

import java.util.Objects;

/** A held key: its value and the token of the acquisition that wrote it. */
public record Held(LockValue value, long token) {

  public Held {
    Objects.requireNonNull(value, "value");
  }
}
