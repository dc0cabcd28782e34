package dev.mclease.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** {@link IoLane}: one request at a time per lane, lanes independent of each other, on a pool that idle lanes do not hold. */
class IoLaneTest {

  private static final Duration LONG = Duration.ofSeconds(10);

  private final TestClocks.Ticker nanos = new TestClocks.Ticker(-5_000_000_000L);
  private ThreadPoolExecutor pool;
  private ExecutorService callers;

  @BeforeEach
  void setUp() {
    pool = IoLane.newPool();
    callers = Executors.newCachedThreadPool();
  }

  @AfterEach
  void tearDown() {
    callers.shutdownNow();
    pool.shutdownNow();
  }

  private IoLane lane(String name, Problems problems) {
    return new IoLane(name, "lane-" + name, nanos, Duration.ofSeconds(1), problems, pool);
  }

  private static Problems problems() {
    return new Problems(LoggerFactory.getLogger(IoLaneTest.class), "test");
  }

  @Test
  void aLaneRunsItsWorkInOrderAndNeverTwoAtOnce() {
    IoLane lane = lane("a", problems());
    CountDownLatch gate = new CountDownLatch(1);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    List<Integer> order = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 5; i++) {
      int n = i;
      // the caller gives up at once; the work stays queued behind the first, which holds the lane
      assertThat(lane.run(() -> {
        most.accumulateAndGet(running.incrementAndGet(), Math::max);
        if (n == 0) {
          gate.await();
        }
        order.add(n);
        running.decrementAndGet();
        return n;
      }, Duration.ZERO, "work " + n, false)).isNull();
    }
    assertThat(order).isEmpty();
    gate.countDown();
    await().until(() -> order.size() == 5);
    assertThat(order).containsExactly(0, 1, 2, 3, 4);
    assertThat(most.get()).isEqualTo(1);
  }

  @Test
  void aHangingRequestInOneLaneDoesNotDelayAnother() throws Exception {
    IoLane hung = lane("hung", problems());
    IoLane other = lane("other", problems());
    CountDownLatch never = new CountDownLatch(1);
    assertThat(hung.run(() -> {
      never.await();
      return "late";
    }, Duration.ofMillis(50), "hang", false)).isNull(); // the caller gave up after its bound; the request goes on
    assertThat(other.run(() -> "answered", LONG, "work", false)).isEqualTo("answered");
    never.countDown();
  }

  @Test
  void aTickSkipsWhileTheRequestBeforeItRunsAndSaysSoOnceItHangsPastRenewDeadline() {
    Problems problems = problems();
    IoLane lane = lane("a", problems);
    CountDownLatch gate = new CountDownLatch(1);
    AtomicInteger ran = new AtomicInteger();
    assertThat(lane.run(() -> {
      gate.await();
      return 1;
    }, Duration.ZERO, "tick", true)).isNull();
    assertThat(lane.run(() -> ran.incrementAndGet(), LONG, "tick", true)).isNull();
    assertThat(problems.current()).isEmpty();
    nanos.advance(Duration.ofSeconds(1));
    assertThat(lane.run(() -> ran.incrementAndGet(), LONG, "tick", true)).isNull();
    assertThat(problems.current()).hasValueSatisfying(p -> assertThat(p).contains("has not answered a request"));
    gate.countDown();
    await().until(() -> lane.run(() -> ran.incrementAndGet(), LONG, "tick", true) != null);
    assertThat(ran.get()).isEqualTo(1); // the skipped ticks never ran
  }

  @Test
  void closeInterruptsTheRequestInFlightCancelsTheQueuedAndRefusesLaterWork() throws Exception {
    IoLane lane = lane("a", problems());
    CountDownLatch interrupted = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger queuedRan = new AtomicInteger();
    lane.run(() -> {
      started.countDown();
      try {
        new CountDownLatch(1).await();
      } catch (InterruptedException e) {
        interrupted.countDown();
      }
      return null;
    }, Duration.ZERO, "hang", false);
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    Future<Object> queued = callers.submit(() -> lane.run(() -> queuedRan.incrementAndGet(), LONG, "queued", false));
    await().until(() -> pool.getActiveCount() == 1 && !queued.isDone());
    lane.close();
    assertThat(interrupted.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(queued.get(10, TimeUnit.SECONDS)).isNull();
    assertThat(lane.run(() -> queuedRan.incrementAndGet(), LONG, "after close", false)).isNull();
    assertThat(queuedRan.get()).isZero();
  }

  @Test
  void theRequestRunsUnderTheLanesThreadNameAndTheInterruptOfACloseDoesNotReachTheNextLane() throws Exception {
    pool.shutdownNow();
    pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new java.util.concurrent.LinkedBlockingQueue<>());
    String poolThread = pool.submit(() -> Thread.currentThread().getName()).get(10, TimeUnit.SECONDS);
    IoLane first = lane("first", problems());
    CountDownLatch started = new CountDownLatch(1);
    first.run(() -> {
      started.countDown();
      new CountDownLatch(1).await();
      return null;
    }, Duration.ZERO, "hang", false);
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    first.close();
    // one pool thread: the one the close interrupted serves the next lane
    IoLane next = lane("next", problems());
    assertThat(next.run(() -> Thread.currentThread().getName() + " interrupted=" + Thread.currentThread()
        .isInterrupted(), LONG, "name", false)).isEqualTo("lane-next interrupted=false");
    assertThat(pool.submit(() -> Thread.currentThread().getName()).get(10, TimeUnit.SECONDS)).isEqualTo(poolThread);
  }

  @Test
  void manyLanesThatTakeTurnsShareAFewThreadsNotOneEach() {
    for (int i = 0; i < 1000; i++) {
      int n = i;
      assertThat(lane("l" + i, problems()).run(() -> n, LONG, "work", false)).isEqualTo(n);
    }
    // a thread per lane would be 1000; idle threads are handed the next lane's request
    assertThat(pool.getLargestPoolSize()).isLessThan(50);
  }
}
