using FastSpinnRelay.Tunnel.Legacy;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>Who writes a TCP flow's frames after a UDP batch: the loop itself, or the connection's writer.</summary>
internal static class StreamWrites
{
    /// <summary>Queued bytes from which the loop writes at once even while more datagrams are waiting.</summary>
    public const int InlineWriteBytes = 32 * 1024;

    /// <summary>
    /// True when the loop should write now (FlushOrWake: one non-blocking send, no hand-off; what request/response and
    /// boot streams need): the listener is drained (the batch was not full) or a large block is waiting. False while
    /// full batches of small datagrams keep coming: then only wake the writer, so it gathers several batches into one
    /// write instead of the loop making a small TCP write per batch.
    /// </summary>
    public static bool WriteNow(FrameOutbox outbox, bool drained) => drained || outbox.PendingBytes >= InlineWriteBytes;
}
