package dev.mclease.testbed.fencing;

/**
 * One write attempt on a {@link FencedRow}, as the database logged it in the same transaction.
 *
 * @param seq the log's sequence number (commit order among accepted writes, which hold the row's lock)
 * @param token the fencing token the writer presented
 * @param writer the writer's identity (a candidate's)
 * @param incarnation which process of that identity wrote (0 = not known)
 * @param writerNanos the writer's monotonic instant of its last check before the write, on the history's time base
 *     ({@code System.nanoTime} of the testbed's JVM)
 * @param writerWallMillis the writer's wall clock at that instant (for the reader; never compared)
 * @param accepted whether the conditional update changed the row
 * @param version for an accepted write, the row's version it produced: 1, 2, 3, … in the order the database applied
 *     them; 0 for a refused one
 * @param storedToken the token in the row after the attempt (the writer's own when accepted, the higher one that
 *     refused it otherwise)
 */
public record FencedWrite(long seq, long token, String writer, int incarnation, long writerNanos,
    long writerWallMillis, boolean accepted, long version, long storedToken) {
}
