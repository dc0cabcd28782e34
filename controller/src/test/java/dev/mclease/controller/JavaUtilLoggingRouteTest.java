package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class JavaUtilLoggingRouteTest {

  @Test
  void grpcStyleJavaUtilLoggingEndsUpInLogback() {
    // on the logger under test, not the root: other tests' background threads log to the root meanwhile, and the
    // appender's list is not safe to read while they append to it
    Logger root = (Logger) LoggerFactory.getLogger("io.grpc.internal.SerializingExecutor");
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    root.addAppender(seen);
    try {
      ControllerMain.routeJavaUtilLogging();
      ControllerMain.routeJavaUtilLogging(); // twice: installed once
      java.util.logging.Logger.getLogger("io.grpc.internal.SerializingExecutor").severe("a gRPC complaint");
      assertThat(seen.list).anySatisfy(e -> {
        assertThat(e.getLoggerName()).isEqualTo("io.grpc.internal.SerializingExecutor");
        assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.ERROR);
        assertThat(e.getFormattedMessage()).isEqualTo("a gRPC complaint");
      });
      assertThat(seen.list.stream().filter(e -> e.getFormattedMessage().equals("a gRPC complaint"))).hasSize(1);
    } finally {
      root.detachAppender(seen);
      org.slf4j.bridge.SLF4JBridgeHandler.uninstall();
    }
  }
}
